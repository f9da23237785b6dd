package backend

import (
	"fmt"
	"strings"
)

// CheckBucketName enforces the S3 bucket naming rules; every store uses it
// so that all accept the same names. The error wraps ErrInvalidBucket.
func CheckBucketName(name string) error {
	bad := func(why string) error {
		return fmt.Errorf("bucket %q: %s: %w", name, why, ErrInvalidBucket)
	}
	// AWS asks for at least 3 characters; shorter names are accepted here
	// because operators and scripts use them (s3://b) and nothing on disk
	// depends on the length.
	if len(name) < 1 || len(name) > 63 {
		return bad("length must be 1 to 63")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return bad("only lowercase letters, digits, '.' and '-' are allowed")
		}
	}
	if !isAlnum(name[0]) || !isAlnum(name[len(name)-1]) {
		return bad("must start and end with a letter or digit")
	}
	if strings.Contains(name, "..") {
		return bad(`must not contain ".."`)
	}
	if looksLikeIPv4(name) {
		return bad("must not look like an IP address")
	}
	for _, p := range []string{"xn--", "sthree-"} {
		if strings.HasPrefix(name, p) {
			return bad("reserved prefix " + p)
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3"} {
		if strings.HasSuffix(name, s) {
			return bad("reserved suffix " + s)
		}
	}
	return nil
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

func looksLikeIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if len(p) == 0 || len(p) > 3 {
			return false
		}
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return false
			}
		}
	}
	return true
}
