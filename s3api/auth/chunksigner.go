package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strings"
	"time"
)

// emptySHA256 is hex(SHA-256("")), the fixed "headers" line of a chunk's
// string to sign.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// ChunkSigner verifies the signature chain of a signed aws-chunked body.
// Each chunk's signature covers the previous signature (the request's own
// signature for the first chunk), so chunks can be neither reordered,
// dropped nor spliced from another request; the trailer signature continues
// the same chain. A ChunkSigner is used by one body reader, sequentially; it
// does not allocate per chunk.
type ChunkSigner struct {
	mac    hash.Hash // HMAC-SHA256 keyed with the request's signing key
	header string    // "\n<amz-date>\n<scope>\n", shared by chunk and trailer
	prev   [64]byte  // hex of the last verified signature
	sts    []byte
	sum    [sha256.Size]byte
	got    [sha256.Size]byte
}

// NewChunkSigner returns a ChunkSigner for a request signed by secretKey at
// amzDate (ISO 8601 basic, "20130524T000000Z") in region, whose own
// signature (hex) seeds the chain. Verify builds one itself; this is for
// callers that verified the request by other means, and for tests.
func NewChunkSigner(secretKey, amzDate, region, seedSignature string) (*ChunkSigner, error) {
	if _, err := time.Parse(iso8601Basic, amzDate); err != nil {
		return nil, malformed("chunk signer: date %.40q is not yyyymmddThhmmssZ", amzDate)
	}
	if region == "" || strings.Contains(region, "/") {
		return nil, malformed("chunk signer: bad region %.40q", region)
	}
	seed, err := hex.DecodeString(seedSignature)
	if err != nil || len(seed) != sha256.Size {
		return nil, malformed("chunk signer: seed signature is not 64 hex digits")
	}
	date := amzDate[:8]
	return newChunkSigner(signingKey(secretKey, date, region), amzDate, date+"/"+region+"/"+service+"/"+terminator, seed), nil
}

func newChunkSigner(key []byte, amzDate, scope string, seed []byte) *ChunkSigner {
	c := &ChunkSigner{
		mac:    hmac.New(sha256.New, key),
		header: "\n" + amzDate + "\n" + scope + "\n",
	}
	hex.Encode(c.prev[:], seed)
	c.sts = make([]byte, 0, 256)
	return c
}

// VerifyChunk checks the signature of the next chunk, given the SHA-256 of
// its data, and on success makes it the previous signature of the chain.
// The final, empty chunk is verified like any other (with SHA-256 of "").
func (c *ChunkSigner) VerifyChunk(chunkPayloadSHA256 []byte, signature string) error {
	if c == nil {
		return errorf(ErrSignatureDoesNotMatch, "chunk signature present but the request is not a signed streaming upload")
	}
	if len(chunkPayloadSHA256) != sha256.Size {
		return errorf(ErrSignatureDoesNotMatch, "chunk digest has %d bytes, want %d", len(chunkPayloadSHA256), sha256.Size)
	}
	s := append(c.sts[:0], "AWS4-HMAC-SHA256-PAYLOAD"...)
	s = append(s, c.header...)
	s = append(s, c.prev[:]...)
	s = append(s, '\n')
	s = append(s, emptySHA256...)
	s = append(s, '\n')
	s = hex.AppendEncode(s, chunkPayloadSHA256)
	c.sts = s
	return c.check(signature, "chunk")
}

// VerifyTrailer checks the trailer signature (x-amz-trailer-signature) over
// the canonical trailer: each trailing header as "name:value\n", the name
// in lower case, in the order sent, without the signature line itself.
func (c *ChunkSigner) VerifyTrailer(canonicalTrailer []byte, signature string) error {
	if c == nil {
		return errorf(ErrSignatureDoesNotMatch, "trailer signature present but the request is not a signed streaming upload")
	}
	c.sum = sha256.Sum256(canonicalTrailer)
	s := append(c.sts[:0], "AWS4-HMAC-SHA256-TRAILER"...)
	s = append(s, c.header...)
	s = append(s, c.prev[:]...)
	s = append(s, '\n')
	s = hex.AppendEncode(s, c.sum[:])
	c.sts = s
	return c.check(signature, "trailer")
}

func (c *ChunkSigner) check(signature, what string) error {
	c.mac.Reset()
	c.mac.Write(c.sts)
	want := c.mac.Sum(c.got[:0])
	var got [sha256.Size]byte
	if len(signature) != 2*sha256.Size {
		return errorf(ErrSignatureDoesNotMatch, "%s signature must be 64 hex digits, got %d characters", what, len(signature))
	}
	if !decodeHex(got[:], signature) {
		return errorf(ErrSignatureDoesNotMatch, "%s signature is not hex", what)
	}
	if !hmac.Equal(want, got[:]) {
		return errorf(ErrSignatureDoesNotMatch, "%s signature does not match", what)
	}
	hex.Encode(c.prev[:], want)
	return nil
}

// decodeHex decodes the hex string s into dst (len(s) == 2*len(dst))
// without the allocation of a []byte conversion.
func decodeHex(dst []byte, s string) bool {
	for i := range dst {
		hi, ok1 := fromHex(s[2*i])
		lo, ok2 := fromHex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
