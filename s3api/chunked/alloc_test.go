package chunked

import (
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

// refuseAll is a verifier that is never satisfied; the test below never
// gets as far as asking it.
type refuseAll struct{}

func (refuseAll) VerifyChunk([]byte, string) error   { return errors.New("refused") }
func (refuseAll) VerifyTrailer([]byte, string) error { return errors.New("refused") }

// A signed chunk header may declare up to DefaultMaxChunkSize; the buffer
// must grow with the bytes that actually arrive, so that a client cannot
// pin 16 MiB per connection by sending a header and stalling.
func TestDeclaredChunkSizeIsNotAllocatedUpFront(t *testing.T) {
	body := "1000000;chunk-signature=" + strings.Repeat("0", 64) + "\r\nabc" // 16 MiB declared, 3 bytes sent
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := New(strings.NewReader(body), Options{Signed: true, Verifier: refuseAll{}})
	_, err := io.ReadAll(r)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated chunk: %v, want io.ErrUnexpectedEOF", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 2<<20 {
		t.Fatalf("a 3-byte chunk that declared 16 MiB allocated %d bytes", got)
	}
}
