package posix

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"envelopegw/backend"
)

// bucketInfoName is the file that makes a directory under buckets/ a
// bucket; it holds an upload-kind record with the creation time.
const bucketInfoName = "bucket"

// Prefixes of the transient directories under buckets/; never valid bucket
// names, because bucket names start with a letter or digit.
const (
	newBucketPrefix  = ".new-"
	gonebucketPrefix = ".gone-"
)

// CreateBucket builds the bucket's skeleton in a hidden directory and
// renames it into place: rename(2) onto an existing, non-empty bucket
// directory fails, so creation is atomic and exactly one of several
// concurrent creators wins.
func (b *Backend) CreateBucket(ctx context.Context, bucket string) error {
	if err := checkBucket(bucket); err != nil {
		return err
	}
	if err := b.checkWritable(ctx); err != nil {
		return err
	}
	if _, err := os.Stat(b.bucketDir(bucket)); err == nil {
		return fmt.Errorf("bucket %s: %w", bucket, backend.ErrBucketExists)
	}
	tmp := filepath.Join(b.bucketsDir(), newBucketPrefix+b.writer+"-"+newID())
	if err := b.buildBucket(tmp, bucket); err != nil {
		b.fs.RemoveAll(tmp)
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	if err := b.fs.Rename(tmp, b.bucketDir(bucket)); err != nil {
		b.fs.RemoveAll(tmp)
		if errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("bucket %s: %w", bucket, backend.ErrBucketExists)
		}
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	if err := b.syncDir(b.bucketsDir()); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	return nil
}

func (b *Backend) buildBucket(dir, bucket string) error {
	if err := b.fs.Mkdir(dir, 0o700); err != nil {
		return err
	}
	for _, sub := range []string{"objects", "data", "uploads", "tmp", "locks"} {
		if err := b.fs.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
			return err
		}
	}
	info := &record{Kind: kindUpload, Key: bucket, Time: time.Now()}
	if err := b.writeFileSync(filepath.Join(dir, bucketInfoName), info.marshal()); err != nil {
		return err
	}
	return b.syncDir(dir)
}

// HeadBucket reports the bucket's creation time.
func (b *Backend) HeadBucket(ctx context.Context, bucket string) (backend.BucketInfo, error) {
	if err := checkBucket(bucket); err != nil {
		return backend.BucketInfo{}, err
	}
	r, err := readRecord(filepath.Join(b.bucketDir(bucket), bucketInfoName), kindUpload)
	if notExist(err) {
		return backend.BucketInfo{}, fmt.Errorf("bucket %s: %w", bucket, backend.ErrNoSuchBucket)
	}
	if err != nil {
		return backend.BucketInfo{}, fmt.Errorf("bucket %s: %w", bucket, err)
	}
	return backend.BucketInfo{Name: bucket, Created: r.Time}, nil
}

// ListBuckets lists the valid bucket directories, sorted by name.
func (b *Backend) ListBuckets(ctx context.Context) ([]backend.BucketInfo, error) {
	f, err := os.Open(b.bucketsDir())
	if err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	sort.Strings(names)
	out := []backend.BucketInfo{}
	for _, n := range names {
		if checkBucket(n) != nil {
			continue
		}
		info, err := b.HeadBucket(ctx, n)
		if errors.Is(err, backend.ErrNoSuchBucket) {
			continue // deleted meanwhile, or not a bucket
		}
		if damaged(err) {
			b.skipDamaged(ctx, "list buckets", filepath.Join(b.bucketDir(n), bucketInfoName), err)
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// DeleteBucket removes a bucket without objects, and with it the uploads
// in progress, as S3 does. It takes the bucket lock exclusive, so no
// commit (of an object, a part or a complete) can slip in between the
// emptiness check and the removal, then renames the bucket out of sight
// before removing its tree. A writer that was streaming meanwhile fails
// at its commit with ErrNoSuchBucket: its temp file went with the tree,
// and lockKey refuses a lock file that is no longer at the bucket's path.
func (b *Backend) DeleteBucket(ctx context.Context, bucket string) error {
	if err := checkBucket(bucket); err != nil {
		return err
	}
	if err := b.checkWritable(ctx); err != nil {
		return err
	}
	if _, err := b.HeadBucket(ctx, bucket); err != nil {
		return err
	}
	l, err := flock(filepath.Join(b.locksDir(bucket), "bucket"), syscall.LOCK_EX)
	if err != nil {
		return b.notFound(bucket, err, nil, "delete bucket %s", bucket)
	}
	defer l.Close()
	// The bucket may have been deleted (and even recreated) while we waited.
	if _, err := b.HeadBucket(ctx, bucket); err != nil {
		return err
	}
	if has, err := hasObject(b.objectsDir(bucket)); err != nil {
		return fmt.Errorf("delete bucket %s: %w", bucket, err)
	} else if has {
		return fmt.Errorf("bucket %s has objects: %w", bucket, backend.ErrBucketNotEmpty)
	}
	gone := filepath.Join(b.bucketsDir(), gonebucketPrefix+b.writer+"-"+newID())
	if err := b.fs.Rename(b.bucketDir(bucket), gone); err != nil {
		return fmt.Errorf("delete bucket %s: %w", bucket, err)
	}
	if err := b.syncDir(b.bucketsDir()); err != nil {
		return fmt.Errorf("delete bucket %s: %w", bucket, err)
	}
	if err := b.fs.RemoveAll(gone); err != nil {
		return fmt.Errorf("delete bucket %s: removing %s: %w", bucket, gone, err)
	}
	return nil
}

// hasObject reports whether the tree at dir holds at least one head file.
// It stops at the first one, so on a non-empty bucket it is fast.
func hasObject(dir string) (bool, error) {
	f, err := os.Open(dir)
	if notExist(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	for {
		names, err := f.Readdirnames(256)
		for _, n := range names {
			switch {
			case strings.HasPrefix(n, string(rune(tagObject))):
				return true, nil
			case strings.HasPrefix(n, string(rune(tagDir))), strings.HasPrefix(n, string(rune(tagContinue))):
				if has, err := hasObject(filepath.Join(dir, n)); has || err != nil {
					return has, err
				}
			}
		}
		if err != nil { // io.EOF at the end
			return false, nil
		}
	}
}
