package s3api

import (
	"io"
	"net/http"
	"net/url"
	"strings"
)

// The fields of a POST form that describe the object become the headers a
// PUT would carry, so that the one put path reads them: the same
// validation, the same metadata, tag, checksum and object lock handling.

// postHeaderFields are the form fields copied as the header of that name.
var postHeaderFields = map[string]string{
	"cache-control":       "Cache-Control",
	"content-type":        "Content-Type",
	"content-disposition": "Content-Disposition",
	"content-encoding":    "Content-Encoding",
	"content-language":    "Content-Language",
	"expires":             "Expires",
	"acl":                 "x-amz-acl",
}

// postHeaderPrefixes are the x-amz-* form fields that describe the object.
// The signature fields and anything else are for the policy only.
var postHeaderPrefixes = []string{
	"x-amz-meta-", "x-amz-checksum-", "x-amz-storage-class",
	"x-amz-website-redirect-location", "x-amz-server-side-encryption",
	"x-amz-object-lock-",
}

// postHeaders builds the header set of the form's object fields. The
// tagging field is a Tagging XML document (the PUT header's URL-encoded
// form is for headers only); it becomes x-amz-tagging.
func postHeaders(f *postForm) (http.Header, error) {
	h := make(http.Header)
	for _, name := range f.order {
		v := f.fields[name]
		if hn, ok := postHeaderFields[name]; ok {
			h[http.CanonicalHeaderKey(hn)] = []string{v}
			continue
		}
		for _, p := range postHeaderPrefixes {
			if strings.HasPrefix(name, p) {
				h[http.CanonicalHeaderKey(name)] = []string{v}
				break
			}
		}
	}
	if v, ok := f.get("tagging"); ok {
		tags, err := parseTaggingXML([]byte(v))
		if err != nil {
			return nil, err
		}
		q := url.Values{}
		for _, t := range tags {
			q.Add(t.Key, t.Value)
		}
		if len(tags) > 0 {
			h.Set("x-amz-tagging", q.Encode())
		}
	}
	return h, nil
}

// postSizeReader enforces the policy's content-length-range on the file
// as it streams: past max it fails with EntityTooLarge, and a file that
// ends short of min fails with EntityTooSmall instead of io.EOF, so that
// the put path never commits either. The too-large answer names the size
// S3 names; the rest of the file is read (up to postSizeProbe more bytes)
// only to learn it.
type postSizeReader struct {
	r        io.Reader
	min, max int64 // max < 0: no upper bound
	n        int64
}

const postSizeProbe = 1 << 20

func (m *postSizeReader) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	m.n += int64(n)
	if m.max >= 0 && m.n > m.max {
		e := ErrEntityTooLarge.WithFields("MaxSizeAllowed", itoa(m.max))
		if rest, derr := io.Copy(io.Discard, io.LimitReader(m.r, postSizeProbe)); derr == nil && rest < postSizeProbe {
			e = ErrEntityTooLarge.WithFields("ProposedSize", itoa(m.n+rest), "MaxSizeAllowed", itoa(m.max))
		}
		return 0, e
	}
	if err == io.EOF && m.n < m.min {
		return n, ErrEntityTooSmall.WithFields("ProposedSize", itoa(m.n), "MinSizeAllowed", itoa(m.min))
	}
	return n, err
}
