package s3api

import (
	"net"
	"strings"
	"unicode/utf8"
)

// hostBucket resolves the Host header: the bucket of a virtual-host style
// request, "" for path style, or an error for a host this endpoint does not
// serve.
func (h *handler) hostBucket(host string) (string, error) {
	if host == "" || strings.HasPrefix(host, "[") {
		return "", nil // HTTP/1.0 without Host, or an IPv6 literal
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if net.ParseIP(host) != nil || host == "localhost" {
		return "", nil
	}
	for _, d := range h.domains {
		if host == d {
			return "", nil
		}
	}
	for _, d := range append(h.domains, "localhost") {
		if b, ok := strings.CutSuffix(host, "."+d); ok && b != "" {
			return b, nil
		}
	}
	return "", ErrInvalidRequest.WithMessage("Host %q is not served by this endpoint: virtual-host style requests need the host's base domain in the gateway's domain list; use path-style addressing otherwise.", truncate(host, 100))
}

// splitPath turns the request path into bucket and key. hostBucket is the
// bucket from the Host header, if any.
func splitPath(path, hostBucket string) (bucket, key string) {
	path = strings.TrimPrefix(path, "/")
	if hostBucket != "" {
		return hostBucket, path
	}
	bucket, key, _ = strings.Cut(path, "/")
	return bucket, key
}

// validBucketName applies S3's naming rules for new buckets: 3 to 63
// lower-case letters, digits, dots and hyphens, starting and ending with a
// letter or digit, no IP address form and none of AWS's reserved prefixes
// and suffixes. (Buckets with shorter names created by earlier versions stay
// reachable: validExistingBucketName is looser.)
func validBucketName(b string) bool {
	if len(b) < 3 || len(b) > 63 {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' || c == '.':
			if i == 0 || i == len(b)-1 {
				return false
			}
		default:
			return false
		}
	}
	if strings.Contains(b, "..") || strings.Contains(b, ".-") || strings.Contains(b, "-.") {
		return false
	}
	if net.ParseIP(b) != nil {
		return false
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(b, p) {
			return false
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(b, s) {
			return false
		}
	}
	return true
}

// validExistingBucketName is the looser check for requests on buckets that
// may predate the current rules (legacy names allowed capitals and
// underscores). It still keeps names that could never be one path element.
func validExistingBucketName(b string) bool {
	if len(b) < 1 || len(b) > 255 || b == "." || b == ".." {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// checkKey validates an object key.
func checkKey(key string) error {
	if len(key) > MaxKeyLength {
		return ErrKeyTooLong.WithMessage("Your key is too long: %d bytes, the maximum is %d.", len(key), MaxKeyLength)
	}
	if !utf8.ValidString(key) {
		return ErrInvalidArgument.WithMessage("Object keys must be valid UTF-8.")
	}
	// No S3 XML document can carry NUL, and the object service keeps its
	// own entries (versions, bucket configuration) under keys that start
	// with it.
	if strings.IndexByte(key, 0) >= 0 {
		return ErrInvalidArgument.WithMessage("Object keys must not contain the NUL character.")
	}
	return nil
}
