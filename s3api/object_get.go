package s3api

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// copyBufferSize is the unit in which object bytes go to the socket: big
// writes keep the syscall count (a large share of server CPU) down.
const copyBufferSize = 1 << 20

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, copyBufferSize); return &b }}

// getObject answers GET and HEAD /bucket/key: conditions, then either a
// part (?partNumber=), a Range, or the whole object.
func (rq *request) getObject() error {
	head := rq.r.Method == http.MethodHead
	partNumber := 0
	if rq.q.Has("partNumber") {
		n, err := parsePartNumber(rq.q.Get("partNumber"))
		if err != nil {
			return err
		}
		partNumber = n
		if rq.r.Header.Get("Range") != "" {
			return ErrInvalidRequest.WithMessage("Cannot specify both Range header and partNumber query parameter")
		}
	}

	obj, err := rq.openObject()
	if err != nil {
		return err
	}
	defer obj.Close()
	info := obj.Info()
	h := rq.w.Header()
	rq.setVersionHeader(info.VersionID)
	rq.setKeyIDs(obj)

	if err := checkConditions(rq.r.Header, "", info); err != nil {
		if errors.Is(err, errNotModified) {
			if info.ETag != "" {
				h.Set("ETag", quoteETag(info.ETag))
			}
			h.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
			rq.w.WriteHeader(http.StatusNotModified)
			return nil
		}
		return err
	}

	wantChecksums := strings.EqualFold(rq.r.Header.Get("x-amz-checksum-mode"), "ENABLED")
	var sums Checksums
	off, n, partial := int64(0), info.Size, false
	if partNumber > 0 {
		if off, n, err = obj.PartRange(partNumber); err != nil {
			return err
		}
		// An empty part (the one part of an empty object) has no byte
		// range to name: "bytes 0--1/0" is malformed, so it is a plain 200.
		partial = n > 0
		if wantChecksums {
			sums = obj.PartChecksums(partNumber)
		}
	} else {
		off, n, partial, err = parseRange(rq.r.Header.Get("Range"), info.Size)
		if err != nil {
			h.Set("Content-Range", "bytes */"+itoa(info.Size))
			return err
		}
		// A checksum describes the whole object; S3 omits it for ranges.
		if wantChecksums && !partial {
			sums = info.Checksums
		}
	}

	var body io.ReadCloser
	if !head {
		// Opened before any header is written, so that a refusal
		// (no decryption key, ...) is still a proper error response.
		if body, err = obj.ReadRange(off, n); err != nil {
			return err
		}
		defer body.Close()
	}

	setObjectHeaders(h, info)
	applyOverrides(h, rq.q)
	if len(sums) > 0 {
		setChecksumHeaders(h, sums)
		ct := info.ChecksumType
		if ct == "" {
			ct = ChecksumTypeFullObject
		}
		h.Set("x-amz-checksum-type", ct)
	}
	h.Set("Content-Length", itoa(n))
	status := http.StatusOK
	if partial {
		h.Set("Content-Range", contentRange(off, n, info.Size))
		status = http.StatusPartialContent
	}
	rq.w.WriteHeader(status)
	if head {
		return nil
	}
	rq.streamBody(body, n)
	return nil
}

// checkVersionID accepts only the version ID "null": buckets are not
// versioned.
func checkVersionID(q url.Values) error {
	if q.Has("versionId") && q.Get("versionId") != "null" {
		return ErrInvalidArgument.WithMessage("Invalid version id specified: buckets on this gateway are not versioned, the only version is \"null\".")
	}
	return nil
}

// parsePartNumber parses a part number query value (1..10000).
func parsePartNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxPartNumber {
		return 0, ErrInvalidArgument.WithMessage("Part number must be an integer between 1 and %d, inclusive.", MaxPartNumber)
	}
	return n, nil
}

// writeFailed records why the response body could not be written: the
// stall timeout (the client stopped reading; a limit, logged as a
// warning), or the client went away (its choice, not a server fault).
func (rq *request) writeFailed(err error, sent, n int64) {
	what := "writing response body after " + itoa(sent) + " of " + itoa(n) + " bytes: " + err.Error()
	var te interface{ Timeout() bool }
	if errors.As(err, &te) && te.Timeout() {
		rq.errDetail = "limit stall-timeout fired: " + what
		rq.limit = "stall-timeout"
		return
	}
	rq.clientGone = true
	rq.errDetail = "client went away: " + what
}
