package s3api

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"envelopegw/s3api/checksum"
)

// A signed payload with an x-amz-checksum-sha256 hashes the body once for
// both, and still checks each against its own declared value.
func TestSignedPayloadAndSHA256Checksum(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	data := []byte("the same SHA-256 serves the signature and the checksum")
	sum := sha256.Sum256(data)
	good := checksum.Encode(sum[:])
	other := sha256.Sum256([]byte("other"))
	hdr := map[string]string{"x-amz-checksum-sha256": good}

	w := e.ok(req{method: "PUT", target: "/bkt/k", body: data, header: hdr, payloadHash: hex.EncodeToString(sum[:])}, 200)
	if got := w.Header().Get("x-amz-checksum-sha256"); got != good {
		t.Fatalf("answered checksum %q, want %q", got, good)
	}
	if o := e.svc.buckets["bkt"].objects["k"]; o.info.Checksums[checksum.SHA256] != good {
		t.Fatalf("stored checksums %v", o.info.Checksums)
	}
	// The checksum wrong, the payload hash right: BadDigest.
	e.fails(req{method: "PUT", target: "/bkt/bad", body: data, header: map[string]string{"x-amz-checksum-sha256": checksum.Encode(other[:])}, payloadHash: hex.EncodeToString(sum[:])}, 400, "BadDigest")
	// The payload hash wrong, the checksum right: the signature's error.
	e.fails(req{method: "PUT", target: "/bkt/bad", body: data, header: hdr, payloadHash: hex.EncodeToString(other[:])}, 400, "XAmzContentSHA256Mismatch")
	if _, ok := e.svc.buckets["bkt"].objects["bad"]; ok {
		t.Fatal("a body that failed a digest was stored")
	}
}
