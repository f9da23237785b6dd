package inventory

import (
	"context"
	"fmt"
	"testing"
	"time"

	"envelopegw/envelope"
)

// fill appends n entries in batches of up to 10,000 (one signature
// each), as a busy volume's group commits would.
func fill(tb testing.TB, l *Log, from, n int) {
	tb.Helper()
	for done := 0; done < n; {
		k := min(10000, n-done)
		batch := make([]*waiter, k)
		for i := range batch {
			j := from + done + i
			e := benchEntry(j)
			line, err := e.marshal()
			if err != nil {
				tb.Fatal(err)
			}
			batch[i] = &waiter{line: line}
		}
		if err := l.commit(batch, true); err != nil {
			tb.Fatal(err)
		}
		done += k
	}
}

func benchEntry(i int) Entry {
	return Entry{Kind: KindPut, Bucket: "backups", Key: fmt.Sprintf("host-%03d/2026-12-07/chunk.%08d", i%100, i),
		WriteID: fmt.Sprintf("%032x", i), RecordHash: fmt.Sprintf("%064x", i), Size: 10 << 20, Stored: 10<<20 + 4096,
		Time: time.Date(2026, 12, 7, 0, 0, 0, i, time.UTC)}
}

// BenchmarkAppend appends one entry at a time (each signed and fsynced)
// to logs of growing size: the cost must not grow with the log.
func BenchmarkAppend(b *testing.B) {
	for _, size := range []int{1000, 100000, 1000000} {
		for _, sync := range []bool{true, false} {
			b.Run(fmt.Sprintf("entries=%d/fsync=%v", size, sync), func(b *testing.B) {
				k, _ := envelope.GenerateSigningKey()
				l, _ := Open(b.TempDir(), k, Options{NoFsync: !sync})
				b.Cleanup(func() { l.Close() }) // stop the lazy signer before TempDir goes
				fill(b, l, 0, size)
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					if err := l.Append(context.Background(), benchEntry(size+i)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkAppendParallel shows group commit: concurrent writers share
// the lock, the fsyncs and the signature.
func BenchmarkAppendParallel(b *testing.B) {
	k, _ := envelope.GenerateSigningKey()
	l, _ := Open(b.TempDir(), k, Options{})
	b.Cleanup(func() { l.Close() })
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			if err := l.Append(context.Background(), benchEntry(i)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerify1M replays a log of 1,000,000 entries (recomputing its
// tree, checking the checkpoint and a consistency proof) and diffs it
// against a volume of 1,000,000 objects.
func BenchmarkVerify1M(b *testing.B) {
	const n = 1000000
	k, _ := envelope.GenerateSigningKey()
	dir := b.TempDir()
	l, _ := Open(dir, k, Options{NoFsync: true})
	fill(b, l, 0, n/2)
	cpb, _ := l.Checkpoint()
	older, err := OpenCheckpoint(cpb, envelope.Signers{k.Public()})
	if err != nil {
		b.Fatal(err)
	}
	fill(b, l, n/2, n/2)
	volume := func(yield func(Object) error) error {
		for i := range n {
			e := benchEntry(i)
			if err := yield(Object{Bucket: e.Bucket, Key: e.Key, RecordHash: e.RecordHash}); err != nil {
				return err
			}
		}
		return nil
	}
	b.ResetTimer()
	for b.Loop() {
		st, err := Replay(dir, envelope.Signers{k.Public()}, older)
		if err != nil {
			b.Fatal(err)
		}
		f, err := st.Diff(volume, nil)
		if err != nil || len(f) != 0 {
			b.Fatalf("%d findings, %v", len(f), err)
		}
	}
}
