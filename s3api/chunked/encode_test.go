package chunked

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// testSigner produces chunk and trailer signatures the way a client does,
// written here from the AWS description independently of package auth.
type testSigner struct {
	key, date, scope, prev string
}

func newTestSigner(secret, amzDate, region, seed string) *testSigner {
	mac := func(k []byte, s string) []byte {
		m := hmac.New(sha256.New, k)
		m.Write([]byte(s))
		return m.Sum(nil)
	}
	k := mac([]byte("AWS4"+secret), amzDate[:8])
	k = mac(k, region)
	k = mac(k, "s3")
	k = mac(k, "aws4_request")
	return &testSigner{key: string(k), date: amzDate, scope: amzDate[:8] + "/" + region + "/s3/aws4_request", prev: seed}
}

func (s *testSigner) sign(kind, hashed string) string {
	m := hmac.New(sha256.New, []byte(s.key))
	fmt.Fprintf(m, "%s\n%s\n%s\n%s\n%s", kind, s.date, s.scope, s.prev, hashed)
	s.prev = hex.EncodeToString(m.Sum(nil))
	return s.prev
}

func (s *testSigner) chunk(data []byte) string {
	e := sha256.Sum256(nil)
	d := sha256.Sum256(data)
	return s.sign("AWS4-HMAC-SHA256-PAYLOAD", hex.EncodeToString(e[:])+"\n"+hex.EncodeToString(d[:]))
}

func (s *testSigner) trailer(canonical string) string {
	d := sha256.Sum256([]byte(canonical))
	return s.sign("AWS4-HMAC-SHA256-TRAILER", hex.EncodeToString(d[:]))
}

// encode frames data in chunks of the given sizes (the rest in one more
// chunk), signed when s != nil, with trailers ("name:value") when
// trailers != nil.
func encode(data []byte, sizes []int, s *testSigner, trailers []string) []byte {
	var b bytes.Buffer
	write := func(c []byte) {
		fmt.Fprintf(&b, "%x", len(c))
		if s != nil {
			fmt.Fprintf(&b, ";chunk-signature=%s", s.chunk(c))
		}
		b.WriteString("\r\n")
		b.Write(c)
		if len(c) > 0 {
			b.WriteString("\r\n")
		}
	}
	for _, n := range sizes {
		if n > len(data) {
			n = len(data)
		}
		if n == 0 {
			continue
		}
		write(data[:n])
		data = data[n:]
	}
	if len(data) > 0 {
		write(data)
	}
	write(nil)
	if trailers == nil {
		b.WriteString("\r\n")
		return b.Bytes()
	}
	var canon strings.Builder
	for _, t := range trailers {
		b.WriteString(t + "\r\n")
		name, value, _ := strings.Cut(t, ":")
		canon.WriteString(strings.ToLower(name) + ":" + strings.TrimSpace(value) + "\n")
	}
	if s != nil {
		b.WriteString("x-amz-trailer-signature:" + s.trailer(canon.String()) + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}
