package s3api

import "encoding/xml"

// errorField is one element S3 adds to an error document for some codes:
// the access key of InvalidAccessKeyId and SignatureDoesNotMatch, the
// headers of an unsigned-header AccessDenied, the expected Region of a
// wrong credential scope, the digests of XAmzContentSHA256Mismatch.
// Clients read them from the body (botocore keeps them in the error dict).
type errorField struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

// WithField returns a copy of e whose document carries the element name
// with value, after any fields e already has.
func (e *Error) WithField(name, value string) *Error {
	c := *e
	c.Fields = append(append([]errorField(nil), e.Fields...), errorField{XMLName: xml.Name{Local: name}, Value: value})
	return &c
}

// WithFields is WithField for name/value pairs; a pair of empty value is
// left out, as S3 leaves out an element it has nothing for.
func (e *Error) WithFields(kv ...string) *Error {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			e = e.WithField(kv[i], kv[i+1])
		}
	}
	return e
}
