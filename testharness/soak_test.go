package testharness

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
)

// The SIGKILL soak: real gateway processes, real clients (aws-sdk-go-v2
// and minio-go), random kills. Every write the gateway acknowledged must survive every kill
// byte for byte; a write cut off by a kill may have happened or not, but
// nothing else. Short by default (CI); ENVELOPEGW_SOAK=<duration> (e.g.
// 10m) runs it that long.

// version is one content a key may hold: its size and SHA-256, or absent.
type version struct {
	absent bool
	size   int
	sum    [32]byte
}

func (v version) String() string {
	if v.absent {
		return "absent"
	}
	return fmt.Sprintf("%d bytes %x", v.size, v.sum[:4])
}

// keyModel is what one key may hold: the last acknowledged version, and
// the versions of writes whose answer a kill cut off (each may or may not
// have taken effect).
type keyModel struct {
	acked     version
	uncertain []version
}

func (m *keyModel) allowed(v version) bool {
	if v == m.acked {
		return true
	}
	for _, u := range m.uncertain {
		if u == v {
			return true
		}
	}
	return false
}

// soakCounts are what the soak reports.
type soakCounts struct {
	kills, acked, cutOff, verified, lost, corrupt, phantom int
	puts, overwrites, multiparts, deletes                  int
}

// soakWorker owns a set of keys: operations on one key never overlap, so
// each key's history is a sequence.
type soakWorker struct {
	c      *s3.Client
	mc     *minio.Client // when set, this worker speaks through minio-go
	bucket string
	keys   []string
	model  map[string]*keyModel
	rng    *rand.Rand
	counts soakCounts // acked, cutOff and op counts
}

// content derives a body from the random source, so it needs no storage.
func (w *soakWorker) content(n int) []byte {
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := w.rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

func versionOf(b []byte) version { return version{size: len(b), sum: sha256.Sum256(b)} }

// run issues random operations until ctx ends.
func (w *soakWorker) run(ctx context.Context) {
	for ctx.Err() == nil {
		key := w.keys[w.rng.IntN(len(w.keys))]
		m := w.model[key]
		var v version
		var err error
		switch p := w.rng.IntN(100); {
		case p < 15:
			v = version{absent: true}
			if w.mc != nil {
				err = w.mc.RemoveObject(ctx, w.bucket, key, minio.RemoveObjectOptions{})
			} else {
				_, err = w.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &w.bucket, Key: &key})
			}
			w.counts.deletes++
		case p < 22:
			v, err = w.multipart(ctx, key)
			w.counts.multiparts++
		default:
			body := w.content(w.rng.IntN(256 << 10))
			v = versionOf(body)
			err = w.put(ctx, key, body, 0)
			if m.acked.absent {
				w.counts.puts++
			} else {
				w.counts.overwrites++
			}
		}
		if err != nil {
			// Cut off by a kill (or refused while the gateway was down):
			// it may or may not have happened.
			m.uncertain = append(m.uncertain, v)
			w.counts.cutOff++
			time.Sleep(20 * time.Millisecond)
			continue
		}
		m.acked, m.uncertain = v, nil
		w.counts.acked++
	}
}

// put stores body; partSize > 0 makes minio-go upload it in parts.
func (w *soakWorker) put(ctx context.Context, key string, body []byte, partSize uint64) error {
	if w.mc != nil {
		_, err := w.mc.PutObject(ctx, w.bucket, key, bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{PartSize: partSize})
		return err
	}
	_, err := w.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &w.bucket, Key: &key, Body: bytes.NewReader(body)})
	return err
}

// multipart uploads two parts (with the SDK, the first sent twice, as a
// retrying client would) and completes them.
func (w *soakWorker) multipart(ctx context.Context, key string) (version, error) {
	p1 := w.content(5 << 20)
	p2 := w.content(1 + w.rng.IntN(64<<10))
	v := versionOf(append(append([]byte(nil), p1...), p2...))
	if w.mc != nil {
		return v, w.put(ctx, key, append(p1, p2...), 5<<20)
	}
	up, err := w.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &w.bucket, Key: &key})
	if err != nil {
		return v, err
	}
	var parts []types.CompletedPart
	for i, p := range [][]byte{p1, p1, p2} {
		n := int32(max(i, 1)) // parts 1, 1 again, 2
		out, err := w.c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &w.bucket, Key: &key, UploadId: up.UploadId, PartNumber: &n, Body: bytes.NewReader(p)})
		if err != nil {
			return v, err
		}
		if i > 0 {
			parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag})
		}
	}
	_, err = w.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &w.bucket, Key: &key, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	return v, err
}

// verify reads every key of every worker and the listing, checks them
// against the model, and resolves the model to what is there.
func verify(t *testing.T, c *s3.Client, bucket string, workers []*soakWorker, n *soakCounts) {
	listed := map[string]bool{}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &bucket})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("listing after restart: %v", err)
		}
		for _, o := range page.Contents {
			listed[*o.Key] = true
		}
	}
	owned := map[string]bool{}
	for _, w := range workers {
		for _, key := range w.keys {
			owned[key] = true
			m := w.model[key]
			got, err := readVersion(c, bucket, key)
			switch {
			case err != nil:
				n.corrupt++
				t.Errorf("%s: read after restart: %v (acked %v)", key, err, m.acked)
				got = m.acked
			case !m.allowed(got):
				if got.absent {
					n.lost++
					t.Errorf("%s: LOST: acknowledged %v, found nothing", key, m.acked)
				} else if m.acked.absent && !m.allowed(got) {
					n.phantom++
					t.Errorf("%s: PHANTOM: acknowledged absent, found %v", key, got)
				} else {
					n.corrupt++
					t.Errorf("%s: CORRUPT: acknowledged %v (or one of %v), found %v", key, m.acked, m.uncertain, got)
				}
			default:
				n.verified++
			}
			if listed[key] == got.absent {
				n.phantom++
				t.Errorf("%s: listed=%v but reads as %v", key, listed[key], got)
			}
			m.acked, m.uncertain = got, nil
		}
	}
	for key := range listed {
		if !owned[key] {
			n.phantom++
			t.Errorf("%s: listed but never written", key)
		}
	}
}

func readVersion(c *s3.Client, bucket, key string) (version, error) {
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if httpStatus(err) == 404 {
		return version{absent: true}, nil
	}
	if err != nil {
		return version{}, err
	}
	defer out.Body.Close()
	h := sha256.New()
	size, err := io.Copy(h, out.Body)
	if err != nil {
		return version{}, fmt.Errorf("reading the body: %w", err)
	}
	var v version
	v.size = int(size)
	copy(v.sum[:], h.Sum(nil))
	return v, nil
}

func TestSIGKILLSoak(t *testing.T) {
	budget, kills := 12*time.Second, 8
	if s := os.Getenv("ENVELOPEGW_SOAK"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("ENVELOPEGW_SOAK=%q: %v", s, err)
		}
		budget, kills = d, 1<<30
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("soak seed %d", seed)
	g := Start(t, Options{})
	admin := S3Client(t, g, S3Options{})
	bucket := newBucket(t, admin)

	var workers []*soakWorker
	for i := range 5 {
		w := &soakWorker{bucket: bucket, model: map[string]*keyModel{}, rng: rand.New(rand.NewPCG(seed, uint64(i)))}
		// Two SDK workers send aws-chunked bodies with trailers (the
		// SDK's default), two plain signed payloads; the fifth speaks
		// minio-go (signed aws-chunked bodies, its own multipart).
		w.c = S3Client(t, g, S3Options{ChecksumWhenRequired: i%2 == 1})
		if i == 4 {
			w.mc = MinioClient(t, g)
		}
		for k := range 8 {
			key := fmt.Sprintf("w%d/k%d", i, k)
			w.keys = append(w.keys, key)
			w.model[key] = &keyModel{acked: version{absent: true}}
		}
		workers = append(workers, w)
	}

	var n soakCounts
	rng := rand.New(rand.NewPCG(seed, 99))
	start := time.Now()
	for n.kills < kills && time.Since(start) < budget {
		rctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for _, w := range workers {
			wg.Go(func() { w.run(rctx) })
		}
		time.Sleep(time.Duration(200+rng.IntN(1000)) * time.Millisecond)
		g.Kill()
		n.kills++
		cancel()
		wg.Wait()
		g.Restart()
		verify(t, admin, bucket, workers, &n)
		if t.Failed() {
			break
		}
	}
	for _, w := range workers {
		n.acked += w.counts.acked
		n.cutOff += w.counts.cutOff
		n.puts += w.counts.puts
		n.overwrites += w.counts.overwrites
		n.multiparts += w.counts.multiparts
		n.deletes += w.counts.deletes
	}
	summary := fmt.Sprintf("SIGKILL soak: %d kills in %s; %d operations acknowledged (%d through minio-go; %d puts, %d overwrites, %d multipart, %d deletes attempted), %d cut off by kills; %d object checks: %d lost, %d corrupt, %d phantom",
		n.kills, time.Since(start).Round(time.Second), n.acked, workers[4].counts.acked, n.puts, n.overwrites, n.multiparts, n.deletes, n.cutOff,
		n.verified+n.lost+n.corrupt, n.lost, n.corrupt, n.phantom)
	t.Log(summary)
	if n.acked == 0 {
		t.Fatal("no operation was acknowledged: the soak tested nothing")
	}
	if n.lost+n.corrupt+n.phantom > 0 {
		t.Fatalf("%s (seed %d)", summary, seed)
	}
}
