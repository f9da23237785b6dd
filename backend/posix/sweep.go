package posix

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// SweepStats counts what Sweep removed.
type SweepStats struct {
	Temp   int   // entries of tmp/ directories and half-created or half-deleted buckets
	Orphan int   // data files that no head and no part record references
	Bytes  int64 // bytes of the removed data and temp files
	// DeadWriters counts the leases of dead processes whose leftovers
	// this sweep removed regardless of age.
	DeadWriters int
	// Damaged counts the damaged records met (see Check). Sweep skips
	// them, and keeps every data file of a bucket that has one, since a
	// damaged head or part record may name any of them.
	Damaged int
}

// Sweep removes what crashed or killed writers leave behind, in every
// bucket: temp files and retired upload directories in tmp/, half-created
// and half-deleted bucket directories, and data files that no head and no
// part record references (a crash between publishing a data file and the
// record naming it, or while removing replaced data).
//
// What provably belongs to no live process goes at once: a temp entry
// whose writer's lease is not held (lease.go), and an unreferenced data
// file with a single link (a data file in flight keeps a second link in
// tmp/ until its record is published; see writer.go). The rest, temp
// entries without a writer ID (from older versions), goes once last
// modified more than olderThan ago; olderThan must exceed the longest
// pause a writer can take between two writes, so hours, not seconds.
//
// Sweep reads every head of the store; it runs when a gateway starts and
// hourly after, safe while gateways serve and from several processes at
// once.
func (b *Backend) Sweep(ctx context.Context, olderThan time.Duration) (SweepStats, error) {
	var st SweepStats
	if err := b.checkWritable(ctx); err != nil {
		return st, err
	}
	cutoff := time.Now().Add(-olderThan)
	dead, err := b.lockDeadWriters()
	if err != nil {
		return st, fmt.Errorf("sweep: %w", err)
	}
	names, err := readNames(b.bucketsDir())
	if err != nil {
		dead.release()
		return st, fmt.Errorf("sweep: %w", err)
	}
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			dead.release()
			return st, err
		}
		p := filepath.Join(b.bucketsDir(), n)
		if strings.HasPrefix(n, newBucketPrefix) || strings.HasPrefix(n, gonebucketPrefix) {
			if (dead.isDead(n) || old(p, cutoff)) && b.fs.RemoveAll(p) == nil {
				st.Temp++
			}
			continue
		}
		if checkBucket(n) != nil {
			continue
		}
		if err := b.sweepBucket(ctx, n, cutoff, dead, &st); err != nil {
			dead.release()
			return st, err
		}
	}
	// Only now that their leftovers are gone may the leases go.
	st.DeadWriters = dead.release()
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

func (b *Backend) sweepBucket(ctx context.Context, bucket string, cutoff time.Time, dead *deadWriters, st *SweepStats) error {
	where := "sweep bucket " + bucket
	tmps, err := readNames(b.tmpDir(bucket))
	if notExist(err) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	deadData := map[string]bool{} // data files whose writer died before its commit ended
	for _, n := range tmps {
		p := filepath.Join(b.tmpDir(bucket), n)
		fi, err := os.Lstat(p)
		isDead := err == nil && dead.isDead(n)
		if err != nil || !isDead && !fi.ModTime().Before(cutoff) {
			continue
		}
		if id := n[len(n)-min(len(n), 32):]; isDead && strings.HasPrefix(n, "data-") && validID(id) {
			deadData[id] = true
		}
		if b.fs.RemoveAll(p) == nil {
			st.Temp++
			if s, ok := fi.Sys().(*syscall.Stat_t); fi.Mode().IsRegular() && ok && s.Nlink == 1 {
				st.Bytes += fi.Size() // a second link is a data file, counted as one
			}
		}
	}
	b.sweepSnapshots(bucket)
	// Candidates are chosen before the records are read: a data file
	// that has one link at this point is no longer in flight, so if a
	// record names it, that record exists now and the scan below sees it.
	cands, err := b.orphanCandidates(bucket, cutoff, deadData)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	b.scrubInlineTails(bucket, cands) // inline_scrub.go
	if len(cands) == 0 {
		return nil
	}
	refs, bad, err := b.referenced(ctx, bucket)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	st.Damaged += bad
	if bad > 0 {
		b.log().WarnContext(ctx, "posix: sweep keeps every unreferenced data file of a bucket with damaged records",
			"bucket", bucket, "damaged", bad)
		return nil
	}
	for id, size := range cands {
		if refs[id] {
			continue
		}
		if b.fs.Remove(b.dataPath(bucket, id)) == nil {
			st.Orphan++
			st.Bytes += size
		}
	}
	return nil
}

// inFlightGrace is how long a data file must have kept a single link
// before Sweep takes it for one no longer in flight. With every process on
// the volume holding a lease, one link is proof enough; the grace covers
// processes of versions that renamed data files into place (no second
// link) during a rolling upgrade. A link change sets the ctime, so this is
// the time since the file's temp name went. The crash checker sets it to
// zero: its rebuilt files are all new.
var inFlightGrace = time.Minute

// orphanCandidates returns the data files of bucket, with their sizes,
// that are no longer in flight: one link for longer than inFlightGrace,
// written by a writer that died (deadData), or older than cutoff. A file
// shared by a copy and its source has several links while both live;
// unreferenced, it goes by age.
func (b *Backend) orphanCandidates(bucket string, cutoff time.Time, deadData map[string]bool) (map[string]int64, error) {
	settled := time.Now().Add(-inFlightGrace)
	fans, err := readNames(b.dataDir(bucket))
	if err != nil && !notExist(err) {
		return nil, err
	}
	cands := make(map[string]int64)
	for _, fan := range fans {
		ids, err := readNames(filepath.Join(b.dataDir(bucket), fan))
		if err != nil {
			continue
		}
		for _, id := range ids {
			if !validID(id) || id[:2] != fan {
				continue
			}
			fi, err := os.Lstat(b.dataPath(bucket, id))
			if err != nil {
				continue
			}
			st, ok := fi.Sys().(*syscall.Stat_t)
			if !ok {
				continue
			}
			ctime := time.Unix(st.Ctim.Sec, st.Ctim.Nsec)
			oneLink := st.Nlink == 1 && ctime.Before(settled)
			// A file that began as an inline head and has two links is
			// SetMeta's conversion cut short by a crash after the temp name
			// went (inline.go): the other link is the head. In flight it
			// has three (head, temp name, data). A part file (partfile.go)
			// has two in flight and two published: it goes by its links
			// as any data file.
			headLink := st.Nlink == 2 && ctime.Before(settled) && isInlineHead(b.dataPath(bucket, id))
			// By age, the later of mtime and ctime: a copy (copy.go)
			// links old bytes, whose mtime is old, into a new name, and
			// the link renews only the ctime.
			if oneLink || headLink || deadData[id] || fi.ModTime().Before(cutoff) && ctime.Before(cutoff) {
				cands[id] = fi.Size()
			}
		}
	}
	return cands, nil
}

// referenced collects every data id that a part record or head names, and
// counts the damaged records met. Uploads first, then heads:
// CompleteUpload publishes its head before it retires the upload, so a
// part that moves from one to the other during the scan is seen in at
// least one of them.
func (b *Backend) referenced(ctx context.Context, bucket string) (refs map[string]bool, bad int, err error) {
	refs = make(map[string]bool)
	skip := func(p string, err error) {
		bad++
		b.skipDamaged(ctx, "sweep", p, err)
	}
	ups, err := readNames(b.uploadsDir(bucket))
	if err != nil && !notExist(err) {
		return nil, 0, err
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
			return nil, 0, err
		}
		for _, p := range parts {
			refs[p.Extents[0].ID] = true
		}
	}
	err = walkHeads(ctx, b.objectsDir(bucket), func(_ string, r *record) {
		for _, e := range r.Extents {
			refs[e.ID] = true
		}
	}, skip)
	return refs, bad, err
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
