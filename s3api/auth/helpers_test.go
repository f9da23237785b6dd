package auth

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"net/http"
)

const (
	exampleAK     = "AKIAIOSFODNN7EXAMPLE"
	exampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// keys is a Credentials backed by a map.
type keys map[string]string

func (k keys) SecretKey(ak string) (string, bool) {
	s, ok := k[ak]
	return s, ok
}

var exampleKeys = keys{exampleAK: exampleSecret}

// wire parses a raw HTTP/1.1 request head the way the server does, so tests
// see RequestURI, Host and header folding exactly as in production.
func wire(t testing.TB, head string) *http.Request {
	t.Helper()
	head = strings.ReplaceAll(head, "\n", "\r\n") + "\r\n\r\n"
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(head)))
	if err != nil {
		t.Fatalf("parsing request: %v\n%s", err, head)
	}
	return r
}

func mustTime(t testing.TB, layout, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(layout, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func signV2ForTest(secret, sts string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(sts))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
