package backendtest

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"envelopegw/backend"
)

// version returns the bytes of version v of the contested object; the
// multipart versions are the concatenation of partsOf(v).
func version(v int) []byte {
	var all []byte
	for _, p := range partsOf(v) {
		all = append(all, p...)
	}
	return all
}

func partsOf(v int) [][]byte {
	if v%3 != 0 {
		return [][]byte{pattern(byte(v), 1000+v*37%5000)}
	}
	return [][]byte{pattern(byte(v), 3000), pattern(byte(v+100), 2000), pattern(byte(v+200), 1+v%700)}
}

// testAtomicReplace replaces one key over and over, by PUT and by
// multipart, while readers open and read it and list the bucket. A reader
// may fail with ErrNoSuchKey (the version it opened was replaced under it)
// but must never see bytes or metadata of two versions together.
func testAtomicReplace(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	write := func(v int) error {
		meta := backend.Meta{"v": strconv.Itoa(v)}
		parts := partsOf(v)
		if len(parts) == 1 {
			w, err := b.NewObject(ctx, "bkt", "k")
			if err != nil {
				return err
			}
			defer w.Abort()
			if _, err := w.Write(parts[0]); err != nil {
				return err
			}
			return commitErr(w, meta)
		}
		id, err := b.CreateUpload(ctx, "bkt", "k", nil)
		if err != nil {
			return err
		}
		var refs []backend.PartRef
		for i, p := range parts {
			w, err := b.NewPart(ctx, "bkt", "k", id, i+1)
			if err != nil {
				return err
			}
			w.Write(p)
			if _, err := w.Commit(nil); err != nil {
				return err
			}
		}
		infos, err := b.ListParts(ctx, "bkt", "k", id)
		if err != nil {
			return err
		}
		for _, pi := range infos {
			refs = append(refs, backend.PartRef{Number: pi.Number, ID: pi.ID})
		}
		_, err = b.CompleteUpload(ctx, "bkt", "k", id, refs, meta)
		return err
	}
	noErr(t, "first write", write(1))

	duration := 2 * time.Second
	if testing.Short() {
		duration = 500 * time.Millisecond
	}
	stop := make(chan struct{})
	var reads, raced atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, 16)
	check := func(data []byte, info backend.ObjectInfo) error {
		v, err := strconv.Atoi(info.Meta["v"])
		if err != nil {
			return fmt.Errorf("metadata %q has no version", info.Meta)
		}
		if want := version(v); !bytes.Equal(data, want) || info.Size != int64(len(want)) {
			return fmt.Errorf("read a mix: metadata says version %d (%d bytes), got %d bytes, Size %d", v, len(want), len(data), info.Size)
		}
		return nil
	}
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				data, info, err := tryGet(b, "bkt", "k")
				if errors.Is(err, backend.ErrNoSuchKey) {
					raced.Add(1)
					continue
				}
				if err == nil {
					err = check(data, info)
				}
				if err != nil {
					errc <- err
					return
				}
				reads.Add(1)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			page, err := b.List(ctx, "bkt", backend.ListOptions{})
			if err == nil && (len(page.Objects) != 1 || page.Objects[0].Key != "k") {
				err = fmt.Errorf("List during replace returned %+v", page.Objects)
			}
			if err == nil {
				o := page.Objects[0]
				v, _ := strconv.Atoi(o.Meta["v"])
				if o.Size != int64(len(version(v))) {
					err = fmt.Errorf("List: version %d with size %d", v, o.Size)
				}
			}
			if err != nil {
				errc <- err
				return
			}
		}
	}()
	deadline := time.Now().Add(duration)
	v := 2
	for ; time.Now().Before(deadline); v++ {
		if err := write(v); err != nil {
			close(stop)
			wg.Wait()
			t.Fatalf("write version %d: %v", v, err)
		}
	}
	close(stop)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	t.Logf("%d versions written, %d consistent reads, %d reads lost a race with a replace", v-1, reads.Load(), raced.Load())
	if reads.Load() == 0 {
		t.Fatal("no read succeeded")
	}
	mustGet(t, b, "bkt", "k", version(v-1))
}
