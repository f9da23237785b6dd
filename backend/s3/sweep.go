package s3

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"envelopegw/backend"
)

// SweepStats counts what one Sweep removed.
type SweepStats struct {
	Uploads int   // stale upstream multipart uploads aborted
	Orphans int   // data objects no record names
	Bytes   int64 // their size
}

// Sweep removes the upstream leftovers of crashed or failed writers that
// are older than cutoff:
//
//   - incomplete upstream multipart uploads of data objects (a stream
//     whose gateway died before completing or aborting it);
//   - data objects that no head and no part record names (a crash between
//     the data and its record, a replaced object whose removal failed),
//     and every data object of a bucket generation that is no longer live.
//
// The candidates are listed first and the references after, so a record
// published meanwhile is seen: a data object is only removed if it was
// already complete before the listing of records began and no record
// named it then. Index entries are never rewritten, so the walk of the
// live keys misses none (index.go). Several gateways may sweep at once:
// removing what another sweep removed is not an error. The cutoff must
// leave a writer in flight more time than any stream takes (a day).
func (b *Backend) Sweep(ctx context.Context, cutoff time.Time) (SweepStats, error) {
	// An early return must stop minio-go's listing goroutines.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var st SweepStats
	if err := b.sweepUploads(ctx, cutoff, &st); err != nil {
		return st, err
	}
	cands := map[string]int64{} // data objects older than cutoff -> size
	dp := b.base + "d/"
	err := b.list(ctx, minio.ListObjectsOptions{Prefix: dp, Recursive: true}, func(o minio.ObjectInfo) bool {
		if o.LastModified.Before(cutoff) {
			cands[strings.TrimPrefix(o.Key, dp)] = o.Size
		}
		return true
	})
	if err != nil {
		return st, upstreamErr("listing", dp, err)
	}
	if len(cands) == 0 {
		return st, nil
	}
	buckets := map[string]bool{}
	for n := range cands {
		bucket, _, _ := strings.Cut(n, "/")
		buckets[bucket] = true
	}
	live, err := b.referenced(ctx, buckets)
	if err != nil {
		return st, err
	}
	for n, size := range cands {
		if live[n] {
			continue
		}
		if err := b.remove(ctx, dp+n); err != nil {
			return st, err
		}
		st.Orphans++
		st.Bytes += size
	}
	return st, nil
}

// sweepUploads aborts the upstream multipart uploads of data objects
// initiated before cutoff.
func (b *Backend) sweepUploads(ctx context.Context, cutoff time.Time, st *SweepStats) error {
	dp := b.base + "d/"
	ctx, cancel := context.WithCancel(ctx)
	ups := b.c.ListIncompleteUploads(ctx, b.bucket, dp, true)
	defer func() {
		cancel()
		for range ups { // its producer blocks until read: see list
		}
	}()
	for u := range ups {
		if u.Err != nil {
			return upstreamErr("listing the multipart uploads under", dp, u.Err)
		}
		if !u.Initiated.Before(cutoff) {
			continue
		}
		err := b.core.AbortMultipartUpload(ctx, b.bucket, u.Key, u.UploadID)
		if err != nil && errCode(err) != "NoSuchUpload" {
			return upstreamErr("aborting the multipart upload of", u.Key, err)
		}
		if err == nil {
			st.Uploads++
		}
	}
	return nil
}

// referenced returns the data objects (relative to d/) that records of
// the live generations of buckets name: the extents of every live key's
// head and the data of every part record. Each bucket record is read by
// GET, never found by a listing: a listing may leave out a record that
// is being rewritten (a DeleteBucket's mark), and a bucket missed here
// would lose its data.
func (b *Backend) referenced(ctx context.Context, buckets map[string]bool) (map[string]bool, error) {
	live := map[string]bool{}
	name := func(n string) { live[strings.TrimPrefix(n, "d/")] = true }
	for bucket := range buckets {
		r, _, err := b.readBucket(ctx, bucket)
		if errors.Is(err, backend.ErrNoSuchBucket) || errors.Is(err, backend.ErrInvalidBucket) {
			continue // deleted, or a foreign name: its data is garbage
		}
		if err != nil {
			return nil, err // never guess that a bucket is gone
		}
		// Parts first: a Complete publishes its head before it removes
		// the part records, so one of the two walks sees its data.
		parts, err := b.recordNames(ctx, b.space("pi", bucket, r.Gen), b.space("p", bucket, r.Gen))
		if err != nil {
			return nil, err
		}
		for _, n := range parts {
			var pr partRecord
			if _, _, _, err := b.getJSON(ctx, n, &pr); err != nil {
				return nil, err
			}
			if pr.Data != "" {
				name(pr.Data)
			}
		}
		heads, err := b.recordNames(ctx, b.space("i", bucket, r.Gen), b.space("k", bucket, r.Gen))
		if err != nil {
			return nil, err
		}
		for _, n := range heads {
			var h head
			if _, _, _, err := b.getJSON(ctx, n, &h); err != nil {
				return nil, err
			}
			for _, e := range h.Extents {
				name(e.Name)
			}
		}
	}
	return live, nil
}

// recordNames returns the full names of the records under space that
// either the listing of their index entries (under idx, which a rewrite
// never hides) or the listing of the records themselves shows: the
// second covers records that no entry names (written before the indexes
// existed), so the sweep removes no data that such a record names and an
// upload in flight across the upgrade still completes.
func (b *Backend) recordNames(ctx context.Context, idx, space string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(n string, _ int64) bool {
		if !seen[n] {
			seen[n] = true
			out = append(out, space+n)
		}
		return true
	}
	if err := b.names(ctx, idx, "", add); err != nil {
		return nil, err
	}
	if err := b.names(ctx, space, "", add); err != nil {
		return nil, err
	}
	return out, nil
}
