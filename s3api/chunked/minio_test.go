package chunked

import (
	"bytes"
	"context"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"envelopegw/s3api/auth"
	"envelopegw/s3api/checksum"
)

// minio-go is a second real client: over plain HTTP it signs every chunk
// (STREAMING-AWS4-HMAC-SHA256-PAYLOAD, with a signed trailer when a
// checksum is asked for), and it frames trailers its own way. Its requests
// go through the same decodeTransport as the aws-sdk-go-v2 test.
func TestMinioPutObjectBodies(t *testing.T) {
	data := bytes.Repeat([]byte("minio-go body, "), 30000) // 450 000 bytes: 7 chunks of 64 KiB
	crcc := crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))
	wantCRC32C := checksum.Encode([]byte{byte(crcc >> 24), byte(crcc >> 16), byte(crcc >> 8), byte(crcc)})
	for _, c := range []struct {
		name     string
		v2       bool
		trailing bool
		opts     minio.PutObjectOptions
		payload  string
	}{
		{"signed chunks", false, false, minio.PutObjectOptions{}, auth.PayloadStreaming},
		{"signed chunks with CRC32C trailer", false, true, minio.PutObjectOptions{Checksum: minio.ChecksumCRC32C}, auth.PayloadStreamingTrailer},
		{"unsigned payload with CRC32C trailer", false, true, minio.PutObjectOptions{Checksum: minio.ChecksumCRC32C, DisableContentSha256: true}, auth.PayloadStreamingUnsignedTrailer},
		{"SigV2", true, false, minio.PutObjectOptions{}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr := &decodeTransport{t: t}
			creds := credentials.NewStaticV4("AKIDCHUNKED", "chunked/secret", "")
			if c.v2 {
				creds = credentials.NewStaticV2("AKIDCHUNKED", "chunked/secret", "")
			}
			cl, err := minio.New("127.0.0.1:9000", &minio.Options{
				Creds: creds, Secure: false, Transport: tr, Region: "us-east-1",
				TrailingHeaders: c.trailing, MaxRetries: 1,
			})
			if err != nil {
				t.Fatal(err)
			}
			c.opts.DisableMultipart = true
			_, err = cl.PutObject(context.Background(), "bucket", "dir/obj ~!.bin", bytes.NewReader(data), int64(len(data)), c.opts)
			if err != nil && !strings.Contains(err.Error(), "ETag") {
				t.Fatalf("PutObject: %v", err)
			}
			if !bytes.Equal(tr.data, data) {
				t.Fatalf("server decoded %d bytes, want %d (payload mode %q)", len(tr.data), len(data), tr.payload)
			}
			if tr.payload != c.payload {
				t.Fatalf("payload mode %q, want %q", tr.payload, c.payload)
			}
			if c.opts.Checksum != 0 {
				if got := tr.trailer.Get("X-Amz-Checksum-Crc32c"); got != wantCRC32C {
					t.Fatalf("trailer %v, want CRC32C %s", tr.trailer, wantCRC32C)
				}
			}
		})
	}
}
