package s3

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"envelopegw/backend"
)

// TestStalledCompleteTakenOver: a CompleteUpload claims its upload and
// then stalls (a slow upstream, a GC pause) past the claim's age; an
// Abort or a Complete on another gateway takes the claim over and
// retires the upload. The stalled Complete used to go on, publish a head
// naming the part data the taker had removed, and answer success: an
// acknowledged object that does not read. Whatever each side answers, an
// acknowledged or listed object must read back whole.
func TestStalledCompleteTakenOver(t *testing.T) {
	for _, tc := range []struct {
		point, taker string
		prior        bool // the key holds an older object
	}{
		{"upload-claimed", "abort", false},    // stalled before its head PUT
		{"head-published", "abort", false},    // stalled between its head PUT and its fence
		{"head-published", "abort", true},     // the same over an older object, which must survive
		{"upload-completed", "abort", false},  // stalled after it was acknowledged, before retiring
		{"upload-claimed", "complete", false}, // another gateway's Complete takes over
	} {
		t.Run(fmt.Sprintf("%s/%s/prior=%v", tc.point, tc.taker, tc.prior), func(t *testing.T) {
			testStalledComplete(t, tc.point, tc.taker, tc.prior)
		})
	}
}

func testStalledComplete(t *testing.T, point, taker string, prior bool) {
	b, _ := sharedBackend(t)
	ctx := context.Background()
	// A second gateway on the same upstream prefix.
	b2, err := New(ctx, Options{Client: b.c, Bucket: b.bucket, Prefix: b.base})
	if err != nil {
		t.Fatal(err)
	}
	const age = 200 * time.Millisecond
	b.staleAge, b2.staleAge = age, age
	if err := b.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	if prior {
		putObject(t, b, "bkt", "k", []byte("old version"))
	}
	id, err := b.CreateUpload(ctx, "bkt", "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	commitPart(t, b, "bkt", "k", id, 1, []byte("one"))
	commitPart(t, b, "bkt", "k", id, 2, []byte("two"))
	parts, err := b.ListParts(ctx, "bkt", "k", id)
	if err != nil {
		t.Fatal(err)
	}
	refs := make([]backend.PartRef, len(parts))
	for i, p := range parts {
		refs[i] = backend.PartRef{Number: p.Number, ID: p.ID}
	}
	var terr error
	fired := false
	onHook(t, point, func() {
		fired = true
		time.Sleep(age + age/2) // the stall: the claim grows old
		if taker == "abort" {
			terr = b2.AbortUpload(ctx, "bkt", "k", id)
		} else {
			_, terr = b2.CompleteUpload(ctx, "bkt", "k", id, refs, nil)
		}
	})
	_, cerr := b.CompleteUpload(ctx, "bkt", "k", id, refs, nil)
	if !fired {
		t.Fatalf("hook %q never ran", point)
	}
	t.Logf("stalled Complete = %v; %s on the other gateway = %v", cerr, taker, terr)
	acked := cerr == nil || taker == "complete" && terr == nil
	if !acked && !prior {
		if _, err := b.Stat(ctx, "bkt", "k"); errors.Is(err, backend.ErrNoSuchKey) {
			return // neither Complete acknowledged, nothing listed
		}
	}
	want := "onetwo"
	if !acked && prior {
		want = "old version" // an unacknowledged overwrite leaves the old object
	}
	if got, err := readBack(b, "bkt", "k"); err != nil || string(got) != want {
		t.Fatalf("Complete = %v, %s = %v: object reads %q, %v; want %q", cerr, taker, terr, got, err, want)
	}
}
