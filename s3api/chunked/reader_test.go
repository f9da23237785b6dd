package chunked

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"envelopegw/s3api/auth"
)

const (
	docSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	docDate   = "20130524T000000Z"
	docSeed   = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
	docSeedT  = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
)

type docKeys struct{}

func (docKeys) SecretKey(ak string) (string, bool) { return docSecret, ak == "AKIAIOSFODNN7EXAMPLE" }

// docRequest authenticates one of the documented streaming PUTs with
// package auth and returns its chunk signer.
func docRequest(t testing.TB, trailer bool) *auth.ChunkSigner {
	t.Helper()
	head := `PUT /examplebucket/chunkObject.txt HTTP/1.1
Host: s3.amazonaws.com
x-amz-date: 20130524T000000Z
x-amz-storage-class: REDUCED_REDUNDANCY
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=` + docSeed + `
x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD
Content-Encoding: aws-chunked
x-amz-decoded-content-length: 66560
Content-Length: 66824`
	if trailer {
		head = `PUT /examplebucket/chunkObject.txt HTTP/1.1
Host: s3.amazonaws.com
x-amz-date: 20130524T000000Z
x-amz-storage-class: REDUCED_REDUNDANCY
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,Signature=` + docSeedT + `
x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
Content-Encoding: aws-chunked
x-amz-decoded-content-length: 66560
x-amz-trailer: x-amz-checksum-crc32c
Content-Length: 66946`
	}
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(strings.ReplaceAll(head, "\n", "\r\n") + "\r\n\r\n")))
	if err != nil {
		t.Fatal(err)
	}
	res, err := auth.Verify(r, docKeys{}, time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if res.Chunks == nil {
		t.Fatal("no chunk signer")
	}
	return res.Chunks
}

// The bodies of the two documented examples, byte for byte, with the
// published signatures.
func docBody(trailer bool) []byte {
	sigs := []string{
		"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
		"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
		"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
	}
	if trailer {
		sigs = []string{
			"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
			"1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
			"2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
		}
	}
	var b bytes.Buffer
	b.WriteString("10000;chunk-signature=" + sigs[0] + "\r\n")
	b.Write(bytes.Repeat([]byte("a"), 65536))
	b.WriteString("\r\n400;chunk-signature=" + sigs[1] + "\r\n")
	b.Write(bytes.Repeat([]byte("a"), 1024))
	b.WriteString("\r\n0;chunk-signature=" + sigs[2] + "\r\n")
	if trailer {
		b.WriteString("x-amz-checksum-crc32c:sOO8/Q==\r\n")
		b.WriteString("x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

func TestDocumentationExamples(t *testing.T) {
	for _, trailer := range []bool{false, true} {
		body := docBody(trailer)
		// The documented Content-Length values.
		if want := map[bool]int{false: 66824, true: 66946}[trailer]; len(body) != want {
			t.Fatalf("trailer=%v: body is %d bytes, the example says %d", trailer, len(body), want)
		}
		for _, readSize := range []int{1, 7, 4096, 1 << 20} {
			r := New(iotest.HalfReader(bytes.NewReader(body)), Options{
				Signed: true, Verifier: docRequest(t, trailer), Trailer: trailer,
				HasDecodedLength: true, DecodedLength: 66560,
			})
			got, err := readAllWith(r, readSize)
			if err != nil {
				t.Fatalf("trailer=%v read size %d: %v", trailer, readSize, err)
			}
			if !bytes.Equal(got, bytes.Repeat([]byte("a"), 66560)) {
				t.Fatalf("trailer=%v: decoded %d bytes", trailer, len(got))
			}
			if trailer && r.Trailer().Get("x-amz-checksum-crc32c") != "sOO8/Q==" {
				t.Fatalf("trailer = %v", r.Trailer())
			}
			if !trailer && len(r.Trailer()) != 0 {
				t.Fatalf("unexpected trailer %v", r.Trailer())
			}
		}
	}
}

// A corrupted byte in the second chunk: the first chunk (verified) may be
// released, not one byte of the second.
func TestCorruptChunkReleasesNothingUnverified(t *testing.T) {
	for _, trailer := range []bool{false, true} {
		body := docBody(trailer)
		i := bytes.Index(body, []byte("\r\n400;")) + 100
		body[i] = 'b'
		r := NewReader(bytes.NewReader(body), docRequest(t, trailer), true, trailer)
		got, err := io.ReadAll(r)
		if !errors.Is(err, ErrSignature) || !errors.Is(err, auth.ErrSignatureDoesNotMatch) {
			t.Fatalf("error = %v", err)
		}
		if len(got) != 65536 {
			t.Fatalf("released %d bytes, want exactly the verified first chunk", len(got))
		}
		if !strings.Contains(err.Error(), "chunk 2") {
			t.Errorf("error does not say where: %v", err)
		}
		// The error sticks.
		if _, err2 := r.Read(make([]byte, 10)); err2 != err {
			t.Errorf("second Read: %v", err2)
		}
	}
}

func TestTamperedTrailer(t *testing.T) {
	body := bytes.Replace(docBody(true), []byte("sOO8/Q=="), []byte("sOO8/A=="), 1)
	r := NewReader(bytes.NewReader(body), docRequest(t, true), true, true)
	got, err := io.ReadAll(r)
	if !errors.Is(err, ErrSignature) {
		t.Fatalf("error = %v", err)
	}
	if len(got) != 66560 {
		t.Fatalf("got %d bytes", len(got))
	}
	if len(r.Trailer()) != 0 {
		t.Fatal("Trailer must be empty after a failure")
	}
	// Dropping the trailer signature.
	body = docBody(true)
	i := bytes.Index(body, []byte("x-amz-trailer-signature"))
	body = append(body[:i:i], "\r\n"...)
	if _, err := io.ReadAll(NewReader(bytes.NewReader(body), docRequest(t, true), true, true)); !errors.Is(err, ErrSignature) {
		t.Fatalf("missing trailer signature: %v", err)
	}
}

func TestDroppedOrReorderedChunks(t *testing.T) {
	body := docBody(false)
	first := bytes.Index(body, []byte("400;"))
	final := bytes.Index(body, []byte("0;chunk-signature=b6c6"))
	// Drop chunk 2.
	dropped := append(append([]byte{}, body[:first]...), body[final:]...)
	if _, err := io.ReadAll(NewReader(bytes.NewReader(dropped), docRequest(t, false), true, false)); !errors.Is(err, ErrSignature) {
		t.Fatalf("dropped chunk: %v", err)
	}
	// Chunk 2 first.
	swapped := append(append(append([]byte{}, body[first:final]...), body[:first]...), body[final:]...)
	if _, err := io.ReadAll(NewReader(bytes.NewReader(swapped), docRequest(t, false), true, false)); !errors.Is(err, ErrSignature) {
		t.Fatalf("reordered chunks: %v", err)
	}
}

func TestRoundTripAllForms(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	data := make([]byte, 300_000)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	const seed = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, form := range []struct {
		name            string
		signed, trailer bool
	}{
		{"STREAMING-AWS4-HMAC-SHA256-PAYLOAD", true, false},
		{"STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", true, true},
		{"STREAMING-UNSIGNED-PAYLOAD-TRAILER", false, true},
		{"unsigned without trailer", false, false},
	} {
		for trial := 0; trial < 30; trial++ {
			n := rng.IntN(len(data) + 1)
			if trial == 0 {
				n = 0
			}
			var sizes []int
			for s := 0; s < n; {
				c := 1 + rng.IntN(70_000)
				sizes = append(sizes, c)
				s += c
			}
			var ts *testSigner
			var v Verifier
			if form.signed {
				ts = newTestSigner("secret", "20261129T070000Z", "eu-west-1", seed)
				cs, err := auth.NewChunkSigner("secret", "20261129T070000Z", "eu-west-1", seed)
				if err != nil {
					t.Fatal(err)
				}
				v = cs
			}
			var trailers []string
			if form.trailer {
				trailers = []string{"x-amz-checksum-crc32:AAAAAA==", "X-Amz-Meta-Extra:  v  "}
				if trial%3 == 0 {
					trailers = []string{}
				}
			}
			body := encode(data[:n], sizes, ts, trailers)
			r := New(iotest.OneByteReader(bytes.NewReader(body)), Options{Signed: form.signed, Verifier: v, Trailer: form.trailer, HasDecodedLength: true, DecodedLength: int64(n)})
			got, err := readAllWith(r, 1+rng.IntN(100_000))
			if err != nil {
				t.Fatalf("%s n=%d sizes=%v: %v", form.name, n, sizes, err)
			}
			if !bytes.Equal(got, data[:n]) {
				t.Fatalf("%s: decoded bytes differ", form.name)
			}
			if form.trailer && len(trailers) == 2 {
				if r.Trailer().Get("X-Amz-Checksum-Crc32") != "AAAAAA==" || r.Trailer().Get("x-amz-meta-extra") != "v" {
					t.Fatalf("%s: trailer %v", form.name, r.Trailer())
				}
			}
		}
	}
}

func TestMalformed(t *testing.T) {
	unsigned := func(s string) Options { return Options{Trailer: true} }
	_ = unsigned
	for _, c := range []struct {
		name    string
		body    string
		trailer bool
		want    error
	}{
		{"empty body", "", false, io.ErrUnexpectedEOF},
		{"no final chunk", "3\r\nabc\r\n", false, io.ErrUnexpectedEOF},
		{"truncated data", "5\r\nabc", false, io.ErrUnexpectedEOF},
		{"truncated header", "5", false, io.ErrUnexpectedEOF},
		{"missing CRLF after data", "3\r\nabcX\r\n0\r\n\r\n", false, ErrMalformed},
		{"bare LF", "3\nabc\r\n0\r\n\r\n", false, ErrMalformed},
		{"not hex", "x\r\n", false, ErrMalformed},
		{"space in header", "3 \r\nabc\r\n0\r\n\r\n", false, ErrMalformed},
		{"negative", "-3\r\nabc\r\n", false, ErrMalformed},
		{"huge size", "ffffffffffffffff\r\n", false, ErrTooLarge},
		{"too many digits", "00000000000000001\r\n", false, ErrTooLarge},
		{"over the chunk limit", "1000001\r\n", false, ErrTooLarge},
		{"long line", "3;" + strings.Repeat("x", 5000) + "\r\nabc\r\n0\r\n\r\n", false, ErrTooLarge},
		{"garbage after end", "3\r\nabc\r\n0\r\n\r\nxyz", false, ErrMalformed},
		{"bad final CRLF", "0\r\nXY", false, ErrMalformed},
		{"trailer without colon", "0\r\nx-amz-checksum-crc32\r\n\r\n", true, ErrMalformed},
		{"trailer empty name", "0\r\n:v\r\n\r\n", true, ErrMalformed},
		{"trailer bad name", "0\r\nx y:v\r\n\r\n", true, ErrMalformed},
		{"trailer truncated line", "0\r\nx-amz-checksum-crc32:AAA", true, io.ErrUnexpectedEOF},
		{"too many trailers", "0\r\n" + strings.Repeat("x-a:b\r\n", 17) + "\r\n", true, ErrTooLarge},
		{"trailers too large", "0\r\n" + strings.Repeat("x-a:"+strings.Repeat("b", 4000)+"\r\n", 5) + "\r\n", true, ErrTooLarge},
		{"endless empty trailer lines", "0\r\n" + strings.Repeat("\r\n", 9000), true, ErrTooLarge},
		{"trailer line too long", "0\r\nx-a:" + strings.Repeat("b", 5000) + "\r\n\r\n", true, ErrTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := New(strings.NewReader(c.body), Options{Trailer: c.trailer, MaxChunkSize: 1 << 20})
			_, err := io.ReadAll(r)
			if !errors.Is(err, c.want) {
				t.Fatalf("error = %v, want %v", err, c.want)
			}
		})
	}
}

func TestSignedMalformed(t *testing.T) {
	const sig = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
	for _, c := range []struct {
		name, body string
		want       error
	}{
		{"no signature", "3\r\nabc\r\n", ErrMalformed},
		{"short signature", "3;chunk-signature=abc\r\nabc\r\n", ErrMalformed},
		{"two signatures", "3;chunk-signature=" + sig + ";chunk-signature=" + sig + "\r\nabc\r\n", ErrMalformed},
		{"other extension", "3;chunk-signature=" + sig + ";x=1\r\nabc\r\n", ErrMalformed},
		{"wrong signature", "3;chunk-signature=" + sig + "\r\nabc\r\n", ErrSignature},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(c.body), docRequest(t, false), true, false)
			got, err := io.ReadAll(r)
			if !errors.Is(err, c.want) || len(got) != 0 {
				t.Fatalf("got %d bytes, error %v, want %v", len(got), err, c.want)
			}
		})
	}
	// A signed reader without a verifier fails closed.
	if _, err := io.ReadAll(NewReader(strings.NewReader("0\r\n\r\n"), nil, true, false)); !errors.Is(err, ErrSignature) {
		t.Fatalf("nil verifier: %v", err)
	}
	var nilSigner *auth.ChunkSigner
	if _, err := io.ReadAll(NewReader(strings.NewReader("0;chunk-signature="+sig+"\r\n\r\n"), nilSigner, true, false)); !errors.Is(err, ErrSignature) {
		t.Fatalf("typed nil verifier: %v", err)
	}
}

func TestDecodedLength(t *testing.T) {
	body := "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
	for _, c := range []struct {
		n    int64
		want error
	}{{5, nil}, {4, ErrLengthMismatch}, {6, ErrLengthMismatch}, {0, ErrLengthMismatch}, {-1, ErrMalformed}} {
		r := New(strings.NewReader(body), Options{HasDecodedLength: true, DecodedLength: c.n})
		got, err := io.ReadAll(r)
		if !errors.Is(err, c.want) {
			t.Errorf("declared %d: error %v, want %v", c.n, err, c.want)
		}
		// Declared too small: nothing beyond the declared length is ever
		// released.
		if int64(len(got)) > c.n && c.n >= 0 {
			t.Errorf("declared %d: released %d bytes", c.n, len(got))
		}
	}
}

// Forms real clients send that are looser than the grammar.
func TestLenientForms(t *testing.T) {
	for _, c := range []struct {
		name, body string
		trailer    bool
		want       string
		trailers   http.Header
	}{
		{"upper-case hex and leading zeros", "0000A\r\n0123456789\r\n0\r\n\r\n", false, "0123456789", nil},
		{"no final CRLF", "3\r\nabc\r\n0\r\n", false, "abc", nil},
		{"unsigned chunk extensions ignored", "3;foo=bar\r\nabc\r\n0;x\r\n\r\n", false, "abc", nil},
		{"trailer without final empty line", "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n", true, "abc", http.Header{"X-Amz-Checksum-Crc32": {"AAAAAA=="}}},
		{"CRLF before trailer", "3\r\nabc\r\n0\r\n\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", true, "abc", http.Header{"X-Amz-Checksum-Crc32": {"AAAAAA=="}}},
		{"no trailers", "3\r\nabc\r\n0\r\n\r\n", true, "abc", http.Header{}},
		{"no trailers, no final CRLF", "3\r\nabc\r\n0\r\n", true, "abc", http.Header{}},
		{"minio-go unsigned trailer (LF lines, two CRLFs)", "3\r\nabc\r\n0\r\nx-amz-checksum-crc32c:AAAAAA==\n\r\n\r\n", true, "abc", http.Header{"X-Amz-Checksum-Crc32c": {"AAAAAA=="}}},
		{"spaces around trailer value", "0\r\nX-Amz-Checksum-Sha256 : x \r\n\r\n", true, "", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := New(strings.NewReader(c.body), Options{Trailer: c.trailer})
			got, err := io.ReadAll(r)
			if c.trailers == nil && c.name == "spaces around trailer value" {
				// A space before the colon is not a field name.
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("error = %v", err)
				}
				return
			}
			if err != nil || string(got) != c.want {
				t.Fatalf("got %q, %v", got, err)
			}
			if c.trailers != nil && fmt.Sprint(r.Trailer()) != fmt.Sprint(c.trailers) {
				t.Fatalf("trailer %v, want %v", r.Trailer(), c.trailers)
			}
		})
	}
}

func TestZeroLengthRead(t *testing.T) {
	r := NewReader(strings.NewReader("3\r\nabc\r\n0\r\n\r\n"), nil, false, false)
	if n, err := r.Read(nil); n != 0 || err != nil {
		t.Fatalf("Read(nil) = %d, %v", n, err)
	}
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "abc" {
		t.Fatalf("%q %v", got, err)
	}
}

func readAllWith(r io.Reader, size int) ([]byte, error) {
	var out []byte
	buf := make([]byte, size)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

func TestNoAllocationsPerChunk(t *testing.T) {
	const chunks = 200
	data := bytes.Repeat([]byte("z"), 64<<10)
	sizes := make([]int, chunks)
	for i := range sizes {
		sizes[i] = len(data) / chunks
	}
	const seed = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	ts := newTestSigner("s", "20261129T070000Z", "r", seed)
	body := encode(data, sizes, ts, nil)
	buf := make([]byte, 1<<20)
	// Allocations of one whole decode, small chunks against one chunk: the
	// difference must not grow with the chunk count.
	allocs := func(body []byte) float64 {
		return testing.AllocsPerRun(20, func() {
			cs, _ := auth.NewChunkSigner("s", "20261129T070000Z", "r", seed)
			r := NewReader(bytes.NewReader(body), cs, true, false)
			for {
				if _, err := r.Read(buf); err != nil {
					if err != io.EOF {
						panic(err)
					}
					return
				}
			}
		})
	}
	many := allocs(body)
	one := allocs(encode(data, nil, newTestSigner("s", "20261129T070000Z", "r", seed), nil))
	if many > one+5 {
		t.Fatalf("%d chunks: %.0f allocations, one chunk: %.0f", chunks, many, one)
	}
}
