package s3api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"net/http"
	"strings"
)

// s3Namespace is the XML namespace of every S3 response document.
const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// newRequestIDs returns a request ID (16 upper-case hex digits, like S3's)
// and a longer host ID for x-amz-id-2.
func newRequestIDs() (id, id2 string) {
	var b [32]byte
	rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:8])), base64.StdEncoding.EncodeToString(b[8:])
}

// errorDoc is the S3 error body.
type errorDoc struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string
	Message   string
	Resource  string `xml:",omitempty"`
	Condition string `xml:",omitempty"`
	Detail    string `xml:",omitempty"`
	Fields    []errorField
	RequestID string `xml:"RequestId"`
	HostID    string `xml:"HostId"`
}

// fail answers err as an S3 error. HEAD gets the status alone (a HEAD
// response has no body). Errors that are not *Error become InternalError,
// and are logged since the client learns nothing from them.
func (rq *request) fail(err error) {
	e := AsError(err)
	switch {
	case e == ErrInternalError && rq.r.Context().Err() != nil:
		// net/http cancels the request's context when the client closes
		// the connection: the failure is the client's leaving, not the
		// server's fault, and nobody reads this answer.
		e = ErrClientClosedRequest
		rq.clientGone = true
		rq.errDetail = "client closed the request: " + err.Error()
		if c := context.Cause(rq.r.Context()); c != nil && !errors.Is(err, c) {
			rq.errDetail += " (" + c.Error() + ")"
		}
	case e.Code == ErrClientClosedRequest.Code:
		rq.clientGone = true // the body broke off (stall.go)
		rq.errDetail = e.Message
	case e == ErrInternalError && !errors.Is(err, ErrInternalError):
		rq.errDetail = err.Error()
	case e.Code == ErrRequestTimeout.Code:
		rq.errDetail = "limit stall-timeout fired: " + e.Message
		rq.limit = "stall-timeout"
	}
	e = worded(e)
	if e.Detail != "" && rq.errDetail == "" {
		rq.errDetail = e.Detail
	}
	rq.errCode = e.Code
	if rq.w.wroteHeader {
		// Headers are gone; the only honest signal left is a broken
		// connection.
		panic(http.ErrAbortHandler)
	}
	// Object headers may have been prepared before the failure; an error
	// response must not describe the object (Content-Range stays: a 416
	// carries "bytes */size").
	h := rq.w.Header()
	for _, k := range []string{"ETag", "Last-Modified", "Accept-Ranges", "Content-Encoding", "Content-Disposition", "Content-Language", "Cache-Control", "Expires", "Content-Length", "x-amz-version-id"} {
		h.Del(k)
	}
	for k := range h {
		if len(k) > len(metaPrefixWire) && strings.EqualFold(k[:len(metaPrefixWire)], metaPrefixWire) {
			delete(h, k)
		}
	}
	setDeleteMarkerHeaders(h, err)
	if rq.r.Method == http.MethodHead {
		rq.w.WriteHeader(e.Status)
		return
	}
	doc := errorDoc{
		Code:      e.Code,
		Message:   e.Message,
		Resource:  rq.r.URL.Path,
		Condition: e.Condition,
		Detail:    e.Detail,
		Fields:    e.Fields,
		RequestID: rq.id,
		HostID:    rq.id2,
	}
	rq.writeXML(e.Status, &doc)
}

// writeXML answers with an XML document.
func (rq *request) writeXML(status int, v any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		// Only a programming error (an unencodable type) gets here.
		rq.errDetail = "encoding response: " + err.Error()
		status = http.StatusInternalServerError
		buf.Reset()
	}
	h := rq.w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", itoa(int64(buf.Len())))
	rq.w.WriteHeader(status)
	if rq.r.Method != http.MethodHead {
		rq.w.Write(buf.Bytes())
	}
}

// noContent answers 204 or 200 without a body.
func (rq *request) noContent(status int) {
	if status != http.StatusNoContent {
		rq.w.Header().Set("Content-Length", "0")
	}
	rq.w.WriteHeader(status)
}
