package posix

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
)

// BenchmarkPartCommit measures multipart part commits (64 KiB parts, with
// and without fsync), re-sending each of 100 part numbers in turn so that
// most commits replace a previous version. Run under `strace -f -c` at two
// iteration counts, the difference gives the system calls per part.
func BenchmarkPartCommit(b *testing.B) {
	for _, nofsync := range []bool{false, true} {
		b.Run(fmt.Sprintf("nofsync=%v", nofsync), func(b *testing.B) {
			ctx := context.Background()
			be := newTestBackend(b, Options{NoFsync: nofsync})
			mustCreateBucket(b, be, "bkt")
			id, err := be.CreateUpload(ctx, "bkt", "dir/big", nil)
			if err != nil {
				b.Fatal(err)
			}
			data := make([]byte, 64<<10)
			i := 0
			for b.Loop() {
				w, err := be.NewPart(ctx, "bkt", "dir/big", id, i%100+1)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := w.Write(data); err != nil {
					b.Fatal(err)
				}
				if _, err := w.Commit(nil); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkPartCommitParallel commits 64 KiB parts of one upload from
// GOMAXPROCS×4 goroutines at once (with fsync): the directory fsyncs of
// concurrent commits are shared (groupcommit.go), so under strace the
// fsyncs per part fall below the single-stream figure.
func BenchmarkPartCommitParallel(b *testing.B) {
	ctx := context.Background()
	be := newTestBackend(b, Options{})
	mustCreateBucket(b, be, "bkt")
	id, err := be.CreateUpload(ctx, "bkt", "dir/big", nil)
	if err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 64<<10)
	var next atomic.Int64
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := int(next.Add(1))%maxPartNumber + 1
			w, err := be.NewPart(ctx, "bkt", "dir/big", id, n)
			if err != nil {
				b.Error(err)
				return
			}
			w.Write(data)
			if _, err := w.Commit(nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
