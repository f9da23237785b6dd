package posix

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// SweepStats counts what Sweep removed.
type SweepStats struct {
	Temp   int   // entries of tmp/ directories and half-created or half-deleted buckets
	Orphan int   // data files that no head and no part record references
	Bytes  int64 // bytes of the removed data and temp files
	// Damaged counts the damaged records met (see Check). Sweep skips
	// them, and keeps every data file of a bucket that has one, since a
	// damaged head or part record may name any of them.
	Damaged int
}

// Sweep removes what crashed or killed writers leave behind, in every
// bucket: temp files and retired upload directories in tmp/, half-created
// and half-deleted bucket directories, and data files that no head and no
// part record references (a crash between publishing a data file and the
// record naming it, or while removing replaced data). Only entries last
// modified more than olderThan ago are touched, which protects writes in
// flight: olderThan must exceed the longest pause a writer can take
// between two writes, so hours, not seconds, for a live store.
//
// Sweep reads every head of the store; it is an operator's or janitor's
// occasional task, safe to run while gateways serve and from several
// processes at once.
func (b *Backend) Sweep(ctx context.Context, olderThan time.Duration) (SweepStats, error) {
	var st SweepStats
	if err := b.checkWritable(ctx); err != nil {
		return st, err
	}
	cutoff := time.Now().Add(-olderThan)
	names, err := readNames(b.bucketsDir())
	if err != nil {
		return st, fmt.Errorf("sweep: %w", err)
	}
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		p := filepath.Join(b.bucketsDir(), n)
		if strings.HasPrefix(n, newBucketPrefix) || strings.HasPrefix(n, gonebucketPrefix) {
			if old(p, cutoff) && os.RemoveAll(p) == nil {
				st.Temp++
			}
			continue
		}
		if checkBucket(n) != nil {
			continue
		}
		if err := b.sweepBucket(ctx, n, cutoff, &st); err != nil {
			return st, err
		}
	}
	return st, nil
}

func old(path string, cutoff time.Time) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.ModTime().Before(cutoff)
}

func readNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

func (b *Backend) sweepBucket(ctx context.Context, bucket string, cutoff time.Time, st *SweepStats) error {
	where := "sweep bucket " + bucket
	tmps, err := readNames(b.tmpDir(bucket))
	if notExist(err) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	for _, n := range tmps {
		p := filepath.Join(b.tmpDir(bucket), n)
		fi, err := os.Lstat(p)
		if err != nil || !fi.ModTime().Before(cutoff) {
			continue
		}
		if os.RemoveAll(p) == nil {
			st.Temp++
			if fi.Mode().IsRegular() {
				st.Bytes += fi.Size()
			}
		}
	}

	// Collect every referenced data id. Uploads first, then heads:
	// CompleteUpload publishes its head before it retires the upload, so
	// a part that moves from one to the other during the scan is seen in
	// at least one of them.
	refs := make(map[string]bool)
	bad := 0
	skip := func(p string, err error) {
		bad++
		b.skipDamaged("sweep", p, err)
	}
	ups, err := readNames(b.uploadsDir(bucket))
	if err != nil && !notExist(err) {
		return fmt.Errorf("%s: %w", where, err)
	}
	for _, id := range ups {
		if !validUploadID(id) {
			continue
		}
		parts, err := readParts(b.uploadDir(bucket, id), skip)
		if notExist(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		for _, p := range parts {
			refs[p.Extents[0].ID] = true
		}
	}
	if err := walkHeads(ctx, b.objectsDir(bucket), func(_ string, r *record) {
		for _, e := range r.Extents {
			refs[e.ID] = true
		}
	}, skip); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	st.Damaged += bad
	if bad > 0 {
		b.log().Warn("posix: sweep keeps every unreferenced data file of a bucket with damaged records",
			"bucket", bucket, "damaged", bad)
		return nil
	}

	fans, err := readNames(b.dataDir(bucket))
	if err != nil && !notExist(err) {
		return fmt.Errorf("%s: %w", where, err)
	}
	for _, fan := range fans {
		ids, err := readNames(filepath.Join(b.dataDir(bucket), fan))
		if err != nil {
			continue
		}
		for _, id := range ids {
			if !validID(id) || id[:2] != fan || refs[id] {
				continue
			}
			p := b.dataPath(bucket, id)
			fi, err := os.Lstat(p)
			if err != nil || !fi.ModTime().Before(cutoff) {
				continue
			}
			if os.Remove(p) == nil {
				st.Orphan++
				st.Bytes += fi.Size()
			}
		}
	}
	return nil
}

// walkHeads calls fn with every head in the tree at dir, and skip with
// every damaged one.
func walkHeads(ctx context.Context, dir string, fn func(path string, r *record), skip func(path string, err error)) error {
	names, err := readNames(dir)
	if notExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		if n == "" {
			continue
		}
		p := filepath.Join(dir, n)
		switch n[0] {
		case tagObject:
			r, err := readRecord(p, kindHead)
			if notExist(err) {
				continue
			}
			if damaged(err) {
				skip(p, err)
				continue
			}
			if err != nil {
				return err
			}
			fn(p, r)
		case tagDir, tagContinue:
			if err := walkHeads(ctx, p, fn, skip); err != nil {
				return err
			}
		}
	}
	return nil
}
