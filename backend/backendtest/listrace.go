package backendtest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"envelopegw/backend"
)

// Listings under change. A store whose listing is not a snapshot (an
// upstream S3 service, whose listing may leave out an object while it is
// overwritten) must still list every part and every upload that exists
// throughout, exactly once, while others change around it.

const listRaceFor = 2 * time.Second

// testListPartsUnderResends re-sends parts of an upload from several
// writers while ListParts runs: every part number, always current, must
// be listed every time.
func testListPartsUnderResends(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	id, err := b.CreateUpload(ctx, "bkt", "k", nil)
	noErr(t, "CreateUpload", err)
	const parts = 6
	for n := 1; n <= parts; n++ {
		putPart(t, b, "bkt", "k", id, n, []byte{byte(n)}, nil)
	}
	resends, lists := 0, 0
	err = underChange(4, func(w, i int) error {
		n := 1 + (w+i)%parts
		pw, err := b.NewPart(ctx, "bkt", "k", id, n)
		if err != nil {
			return err
		}
		defer pw.Abort()
		if _, err := pw.Write([]byte{byte(n)}); err != nil {
			return err
		}
		_, err = pw.Commit(backend.Meta{"w": fmt.Sprint(w)})
		return err
	}, &resends, func() error {
		ps, err := b.ListParts(ctx, "bkt", "k", id)
		if err != nil {
			return err
		}
		lists++
		if len(ps) != parts {
			return fmt.Errorf("ListParts during re-sends listed %d parts, want %d: %+v", len(ps), parts, ps)
		}
		for i, p := range ps {
			if p.Number != i+1 || p.Size != 1 {
				return fmt.Errorf("ListParts during re-sends: entry %d is %+v", i, p)
			}
		}
		return nil
	})
	t.Logf("%d listings during %d re-sends", lists, resends)
	if err != nil {
		t.Fatal(err)
	}
}

// testListUploadsUnderChanges pages through ListUploads while other
// uploads are created, completed and aborted between the listed ones,
// and while conditional Completes of the listed uploads fail (which
// leaves each upload as it was): every listed upload must appear exactly
// once in every full walk.
func testListUploadsUnderChanges(t *testing.T, b backend.Backend) {
	mkBucket(t, b, "bkt")
	const steady = 6
	want := map[string]string{} // upload ID -> key
	for i := range steady {
		key := fmt.Sprintf("k%d", i)
		id, err := b.CreateUpload(ctx, "bkt", key, nil)
		noErr(t, "CreateUpload", err)
		want[id] = key
	}
	refs := map[string]backend.PartRef{}
	for id, key := range want {
		refs[id] = backend.PartRef{Number: 1, ID: putPart(t, b, "bkt", key, id, 1, []byte("p"), nil)}
	}
	changes, walks := 0, 0
	ids := make([]string, 0, steady)
	for id := range want {
		ids = append(ids, id)
	}
	err := underChange(4, func(w, i int) error {
		if w%2 == 0 {
			// A Complete whose condition fails claims the upload and
			// then gives it back.
			id := ids[(w+i)%steady]
			_, err := b.CompleteUpload(ctx, "bkt", want[id], id, []backend.PartRef{refs[id]}, nil, backend.Cond{IfVersion: "none"})
			if !errors.Is(err, backend.ErrPrecondition) && !errors.Is(err, backend.ErrNoSuchUpload) {
				return fmt.Errorf("conditional Complete: %v, want a precondition failure", err)
			}
			return nil
		}
		// Uploads that come and go between the steady ones.
		key := fmt.Sprintf("k%d-%d-%d", (w+i)%steady, w, i)
		id, err := b.CreateUpload(ctx, "bkt", key, nil)
		if err != nil {
			return err
		}
		if i%2 == 0 {
			return b.AbortUpload(ctx, "bkt", key, id)
		}
		pw, err := b.NewPart(ctx, "bkt", key, id, 1)
		if err != nil {
			return err
		}
		defer pw.Abort()
		pw.Write([]byte("q"))
		ci, err := pw.Commit(nil)
		if err != nil {
			return err
		}
		_, err = b.CompleteUpload(ctx, "bkt", key, id, []backend.PartRef{{Number: 1, ID: ci.Version}}, nil)
		return err
	}, &changes, func() error {
		seen := map[string]int{}
		opts := backend.UploadListOptions{MaxUploads: 2}
		for {
			page, err := b.ListUploads(ctx, "bkt", opts)
			if err != nil {
				return err
			}
			for _, u := range page.Uploads {
				seen[u.UploadID]++
			}
			if !page.IsTruncated {
				break
			}
			opts.KeyMarker, opts.UploadIDMarker = page.NextKeyMarker, page.NextUploadIDMarker
		}
		walks++
		for id, key := range want {
			if seen[id] != 1 {
				return fmt.Errorf("a walk of ListUploads during changes listed upload %s of %q %d times", id, key, seen[id])
			}
		}
		for id, n := range seen {
			if n != 1 {
				return fmt.Errorf("a walk of ListUploads during changes listed upload %s %d times", id, n)
			}
		}
		return nil
	})
	t.Logf("%d walks during %d changes", walks, changes)
	if err != nil {
		t.Fatal(err)
	}
}

// underChange runs change(w, i) in writers goroutines (i counts each
// one's calls) while check runs over and over, for listRaceFor; it
// returns the first error of either, and counts the changes made.
func underChange(writers int, change func(w, i int) error, changes *int, check func() error) error {
	stop := make(chan struct{})
	errc := make(chan error, writers)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := change(w, i); err != nil {
					errc <- fmt.Errorf("change %d of writer %d: %w", i, w, err)
					return
				}
				mu.Lock()
				*changes++
				mu.Unlock()
			}
		})
	}
	var err error
	for end := time.Now().Add(listRaceFor); err == nil && time.Now().Before(end); {
		err = check()
		select {
		case err = <-errc:
		default:
		}
	}
	close(stop)
	wg.Wait()
	close(errc)
	if err == nil {
		err = <-errc
	}
	return err
}
