package s3

import (
	"context"
	"errors"
	"fmt"
	"time"

	"envelopegw/backend"
)

// bucketRecord is the upstream record of a gateway bucket. Gen names the
// key space of this incarnation of the bucket: everything the bucket holds
// lives under names with it, so a bucket deleted and created again starts
// empty even if a racing writer left something under the old generation.
type bucketRecord struct {
	Created  time.Time `json:"created"`
	Gen      string    `json:"gen"`
	Deleting time.Time `json:"deleting,omitzero"` // set while DeleteBucket checks for objects
	Deleted  bool      `json:"deleted,omitempty"` // DeleteBucket decided; the record goes next
}

func (b *Backend) bucketName(bucket string) string { return b.base + "b/" + bucket }

// space is the prefix of one kind of name ("i" key index, "k" heads, "d"
// data, "u" uploads, "ui" their index, "p" parts, "pi" their index) of
// one bucket generation.
func (b *Backend) space(kind, bucket, gen string) string {
	return b.base + kind + "/" + bucket + "/" + gen + "/"
}

// readBucket returns the bucket record and its ETag.
func (b *Backend) readBucket(ctx context.Context, bucket string) (bucketRecord, string, error) {
	if err := backend.CheckBucketName(bucket); err != nil {
		return bucketRecord{}, "", err
	}
	var r bucketRecord
	etag, _, found, err := b.getJSON(ctx, b.bucketName(bucket), &r)
	if err != nil {
		return r, "", err
	}
	if !found || r.Deleted {
		return r, "", fmt.Errorf("s3 backend: bucket %s: %w", bucket, backend.ErrNoSuchBucket)
	}
	return r, etag, nil
}

// gen returns the generation of a live bucket.
func (b *Backend) gen(ctx context.Context, bucket string) (string, error) {
	r, _, err := b.readBucket(ctx, bucket)
	return r.Gen, err
}

// confirm is the second half of every change: after a change to
// generation gen has landed, it checks that the bucket still lives in that
// generation. While a DeleteBucket is deciding, it waits for the decision,
// so that a change either landed before the bucket was found empty or
// fails with ErrNoSuchBucket; a failed change undoes itself.
func (b *Backend) confirm(ctx context.Context, bucket, gen string) error {
	delay := 20 * time.Millisecond
	for {
		r, etag, err := b.readBucket(ctx, bucket)
		if err != nil {
			return err
		}
		if r.Gen != gen {
			return fmt.Errorf("s3 backend: bucket %s was deleted: %w", bucket, backend.ErrNoSuchBucket)
		}
		if r.Deleting.IsZero() {
			return nil
		}
		if time.Since(r.Deleting) > b.staleAge {
			// A stale mark: its DeleteBucket may only be slow, so take
			// the mark away (a compare-and-swap its decision depends on)
			// rather than ignore it.
			r.Deleting = time.Time{}
			_, err := b.putJSON(ctx, b.bucketName(bucket), r, putCond(etag))
			if err == nil {
				return nil
			}
			if !errorsIsPrecondition(err) {
				return err
			}
			continue // changed meanwhile: look again
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Second)
	}
}

func (b *Backend) CreateBucket(ctx context.Context, bucket string) error {
	if err := backend.CheckBucketName(bucket); err != nil {
		return err
	}
	r := bucketRecord{Created: time.Now().UTC(), Gen: randHex(8)}
	if err := b.ensureBucketIndex(ctx, bucket); err != nil { // first: see bucketindex.go
		return err
	}
	cond := putCond("*")
	var old bucketRecord // a decided DeleteBucket's record whose removal failed counts as none
	if etag, _, found, err := b.getJSON(ctx, b.bucketName(bucket), &old); err == nil && found && old.Deleted {
		cond = putCond(etag)
	}
	if _, err := b.putJSON(ctx, b.bucketName(bucket), r, cond); err != nil {
		if errorsIsPrecondition(err) {
			return fmt.Errorf("s3 backend: bucket %s: %w", bucket, backend.ErrBucketExists)
		}
		return err
	}
	return nil
}

func (b *Backend) HeadBucket(ctx context.Context, bucket string) (backend.BucketInfo, error) {
	r, _, err := b.readBucket(ctx, bucket)
	if err != nil {
		return backend.BucketInfo{}, err
	}
	return backend.BucketInfo{Name: bucket, Created: r.Created}, nil
}

func (b *Backend) ListBuckets(ctx context.Context) ([]backend.BucketInfo, error) {
	var names []string
	p := b.base + "l/" // the index, not the records: see bucketindex.go
	if err := b.names(ctx, p, "", func(n string, _ int64) bool { names = append(names, n); return true }); err != nil {
		return nil, err
	}
	var out []backend.BucketInfo
	for _, n := range names {
		info, err := b.HeadBucket(ctx, n)
		if errors.Is(err, backend.ErrNoSuchBucket) || errors.Is(err, backend.ErrInvalidBucket) {
			continue // deleted meanwhile, or a foreign name
		}
		if err != nil {
			return nil, err // an upstream fault must not drop a bucket from the list
		}
		out = append(out, info)
	}
	return out, nil
}

// DeleteBucket marks the record "deleting" (a compare-and-swap), looks for
// objects, and then either restores the record or removes it with
// everything of that generation. Changes confirm against the record after
// they land (see confirm), which makes the emptiness check atomic.
func (b *Backend) DeleteBucket(ctx context.Context, bucket string) error {
	r, etag, err := b.readBucket(ctx, bucket)
	if err != nil {
		return err
	}
	r.Deleting = time.Now().UTC()
	metag, err := b.putJSON(ctx, b.bucketName(bucket), r, putCond(etag))
	if err != nil {
		if errorsIsPrecondition(err) {
			return fmt.Errorf("s3 backend: bucket %s is being changed by another DeleteBucket: %w", bucket, backend.ErrBucketNotEmpty)
		}
		return err
	}
	empty, err := b.noLiveKey(ctx, bucket, r.Gen)
	if err != nil || !empty {
		r.Deleting = time.Time{}
		if _, rerr := b.putJSON(ctx, b.bucketName(bucket), r, putCond(metag)); rerr != nil && err == nil {
			err = rerr
		}
		if err == nil {
			err = fmt.Errorf("s3 backend: bucket %s: %w", bucket, backend.ErrBucketNotEmpty)
		}
		return err
	}
	hook("bucket-found-empty")
	// The decision, conditioned on the mark: a change that met the mark
	// stale took it away (confirm), and then the bucket is not deleted.
	r.Deleted = true
	if _, err := b.putJSON(ctx, b.bucketName(bucket), r, putCond(metag)); err != nil {
		if errorsIsPrecondition(err) {
			return fmt.Errorf("s3 backend: bucket %s changed while it was checked for objects: %w", bucket, backend.ErrBucketNotEmpty)
		}
		return err
	}
	if err := b.remove(ctx, b.bucketName(bucket)); err != nil {
		return nil // deleted: a decided record counts as no bucket
	}
	b.dropBucketIndex(ctx, bucket)
	// The bucket is gone; its generation's leftovers are garbage.
	for _, kind := range []string{"i", "k", "u", "ui", "p", "pi", "d"} {
		if err := b.removePrefix(ctx, b.space(kind, bucket, r.Gen)); err != nil {
			return nil // garbage, not state: the bucket is deleted
		}
	}
	return nil
}

// noLiveKey reports whether no head of a bucket generation is live. It
// walks the index first, which replaces never rewrite, so a key being
// replaced cannot slip through (see index.go); then the heads themselves,
// so that heads written before the index existed, which have no entry,
// keep their bucket from being deleted with them.
func (b *Backend) noLiveKey(ctx context.Context, bucket, gen string) (bool, error) {
	idx, heads := b.space("i", bucket, gen), b.space("k", bucket, gen)
	empty := true
	var ierr error
	live := func(n string, _ int64) bool {
		var h head
		_, size, found, err := b.getJSON(ctx, heads+n, &h)
		if err != nil {
			ierr = err
			return false
		}
		empty = !found || size == 0 // no head yet, or a tombstone
		return empty
	}
	err := b.names(ctx, idx, "", live)
	if err == nil && ierr == nil && empty {
		err = b.names(ctx, heads, "", live)
	}
	if err == nil {
		err = ierr
	}
	return empty, err
}
