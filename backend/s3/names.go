package s3

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"envelopegw/backend"
)

// Upstream names. A gateway key can be 1,024 bytes of any UTF-8, but an
// upstream name is at most 1,024 bytes in all and (on MinIO and on POSIX
// backed stores) at most 255 bytes per "/"-separated component, and may
// not hold "//", "." or ".." components. Keys are therefore hex-encoded
// (which keeps byte-wise order), cut into chunks of chunkLen characters
// joined by "/" (fixed positions, so the order still holds), and a key
// longer than groupLen bytes is named by its first groupLen bytes, then
// "~" (above every hex digit and "/") and a hash of the whole key. Keys
// that share those first bytes form a group that sorts where its keys
// belong; List reads the group's heads and orders it by the full key.
const (
	groupLen = 380 // key bytes named in full; the hex fits the name budget
	chunkLen = 200 // characters per name component
	groupSep = "~"
	maxKey   = 1024
)

// checkKey rejects what is not a valid S3 key.
func checkKey(key string) error {
	if key == "" || len(key) > maxKey || !utf8.ValidString(key) {
		return fmt.Errorf("s3 backend: key %.40q: %w", key, backend.ErrInvalidKey)
	}
	return nil
}

// chunk inserts "/" every chunkLen characters.
func chunk(s string) string {
	if len(s) <= chunkLen {
		return s
	}
	var b strings.Builder
	for len(s) > chunkLen {
		b.WriteString(s[:chunkLen])
		b.WriteByte('/')
		s = s[chunkLen:]
	}
	b.WriteString(s)
	return b.String()
}

func unchunk(s string) string { return strings.ReplaceAll(s, "/", "") }

// keyName is the upstream name of key, relative to a key space.
func keyName(key string) string {
	if len(key) <= groupLen {
		return chunk(hex.EncodeToString([]byte(key)))
	}
	sum := sha256.Sum256([]byte(key))
	return chunk(hex.EncodeToString([]byte(key[:groupLen])) + groupSep + hex.EncodeToString(sum[:16]))
}

// prefixName is the name every key starting with p has as a prefix, or
// ok=false if p is too long to be named (keys are then filtered in Go).
func prefixName(p string) (string, bool) {
	if len(p) > groupLen {
		return chunk(hex.EncodeToString([]byte(p[:groupLen]))), false
	}
	return chunk(hex.EncodeToString([]byte(p))), true
}

// pastPrefix is a StartAfter value above every name that starts with n.
func pastPrefix(n string) string { return n + "~~" }

// decodeName returns the key a name stands for, or grouped=true if the
// name is a group member whose key only its head knows.
func decodeName(n string) (key string, grouped bool, err error) {
	s := unchunk(n)
	if strings.Contains(s, groupSep) {
		return "", true, nil
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return "", false, fmt.Errorf("s3 backend: foreign upstream name %q: %w", n, err)
	}
	return string(b), false, nil
}
