package s3api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// discardService accepts PutObject bodies and throws them away, so the
// benchmark measures the HTTP layer alone: connection, auth, hashing.
type discardService struct{ fakeService }

func (d *discardService) PutObject(ctx context.Context, in *PutObjectInput) (*PutObjectOutput, error) {
	buf := make([]byte, 1<<20)
	for {
		_, err := in.Body.Read(buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return &PutObjectOutput{ETag: hex.EncodeToString(in.Body.Sums().MD5)}, nil
}

// BenchmarkPut10MiB is the xbcloud pattern: 10 MiB single PUTs with a
// signed payload SHA-256 and Content-MD5, over a real loopback connection,
// from parallel clients.
func BenchmarkPut10MiB(b *testing.B) {
	for _, std := range []bool{false, true} {
		name := "md5simd"
		if std {
			name = "stdlib-md5"
		}
		b.Run(name, func(b *testing.B) {
			h := NewHandler(Config{Service: &discardService{}, Credentials: staticCreds{testAK: testSK}, StdlibMD5: std, Logger: slog.New(slog.DiscardHandler)})
			srv := httptest.NewServer(h)
			defer srv.Close()
			data := bytes.Repeat([]byte("0123456789abcdef"), 10<<16)
			sum := sha256.Sum256(data)
			ph := hex.EncodeToString(sum[:])
			md := b64md5(data)
			signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
			creds := aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSK}
			b.SetBytes(int64(len(data)))
			b.SetParallelism(4)
			cpu0 := processCPU()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				client := &http.Client{Transport: &http.Transport{}}
				for pb.Next() {
					r, _ := http.NewRequest("PUT", srv.URL+"/bkt/k", bytes.NewReader(data))
					r.Header.Set("Content-MD5", md)
					r.Header.Set("X-Amz-Content-Sha256", ph)
					if err := signer.SignHTTP(context.Background(), creds, r, ph, "s3", testRegion, time.Now()); err != nil {
						b.Error(err)
						return
					}
					resp, err := client.Do(r)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			// Client and server share the process; the client's part
			// (signing a precomputed digest, sending) is small.
			gib := float64(b.N) * float64(len(data)) / (1 << 30)
			b.ReportMetric((processCPU()-cpu0).Seconds()/gib, "cpu-s/GiB")
		})
	}
}

// processCPU is the user+system CPU time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
