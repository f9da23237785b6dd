package s3

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"envelopegw/backend"
)

// Damaged is one record that does not belong where it is: it does not
// decode, or it names a key (or upload) other than the one its upstream
// name stands for, as a record swapped or copied over another behind the
// gateway's back would. It costs only its own key: listings skip it (and
// log it), reads of the key fail, and an overwrite or Delete replaces it.
type Damaged struct {
	Bucket string
	Kind   string // "head", "upload" or "part"
	Key    string // the key the record's name stands for ("" if unknown)
	Name   string // the upstream name, relative to the prefix
	Err    error  // what is wrong with it
}

// CheckReport is what Check found and did.
type CheckReport struct {
	Buckets, Heads, Uploads, Parts int // records read
	Damaged                        []Damaged
	// Unindexed counts records that had no index entry (they were written
	// before the indexes existed, or a crash fell between the two
	// writes); Indexed how many of those Check indexed (reindex set).
	Unindexed, Indexed int
}

// Check reads every record of the named buckets (all buckets if none)
// and reports the damaged ones and those without an index entry, which
// listings cannot see. With reindex set it creates the missing entries.
// Every step is idempotent and safe while gateways serve the store (an
// entry is created if absent, and one whose record went away meanwhile is
// dropped as a Delete drops it), so an interrupted run is resumed by
// running it again.
func (b *Backend) Check(ctx context.Context, reindex bool, buckets ...string) (CheckReport, error) {
	var rep CheckReport
	names, has, err := b.indexed(ctx, b.base+"l/", b.base+"b/")
	if err != nil {
		return rep, err
	}
	if len(buckets) == 0 {
		buckets = names
	}
	for _, bucket := range buckets {
		r, _, err := b.readBucket(ctx, bucket)
		if errors.Is(err, backend.ErrNoSuchBucket) || errors.Is(err, backend.ErrInvalidBucket) {
			continue // deleted meanwhile, or a foreign name
		}
		if err != nil {
			return rep, err
		}
		rep.Buckets++
		if !has[bucket] {
			rep.Unindexed++
			if reindex {
				if err := b.fixEntry(ctx, b.bucketIndexName(bucket), b.bucketName(bucket), &rep); err != nil {
					return rep, err
				}
			}
		}
		for _, c := range []func(context.Context, string, string, bool, *CheckReport) error{b.checkUploads, b.checkParts, b.checkHeads} {
			if err := c(ctx, bucket, r.Gen, reindex, &rep); err != nil {
				return rep, fmt.Errorf("checking bucket %s: %w", bucket, err)
			}
		}
	}
	return rep, nil
}

// indexed lists the names under idx and under space (relative to them):
// the names of both listings (a record being rewritten may be missing
// from the second, an unindexed one from the first), and which of them
// have an entry.
func (b *Backend) indexed(ctx context.Context, idx, space string) (names []string, has map[string]bool, err error) {
	has = map[string]bool{}
	if err := b.names(ctx, idx, "", func(n string, _ int64) bool { has[n] = true; return true }); err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	err = b.names(ctx, space, "", func(n string, _ int64) bool { seen[n] = true; names = append(names, n); return true })
	for n := range has {
		if !seen[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, has, err
}

// fixEntry creates the missing index entry of a record, then drops it
// again if the record is gone by then (dropEntry puts it back if the
// record reappears meanwhile).
func (b *Backend) fixEntry(ctx context.Context, entry, record string, rep *CheckReport) error {
	if err := b.createEntry(ctx, entry); err != nil {
		return err
	}
	var v struct{}
	if _, size, found, err := b.getJSON(ctx, record, &v); err != nil || !found || size == 0 {
		b.dropEntry(ctx, entry, record)
		return err
	}
	rep.Indexed++
	return nil
}

// dropEntry removes an index entry whose record is gone, and creates it
// again if the record exists after all (a writer created it meanwhile).
func (b *Backend) dropEntry(ctx context.Context, entry, record string) {
	if b.remove(ctx, entry) != nil {
		return
	}
	var v struct{}
	if _, size, found, err := b.getJSON(ctx, record, &v); err != nil || found && size > 0 {
		b.createEntry(ctx, entry)
	}
}

func (b *Backend) checkHeads(ctx context.Context, bucket, gen string, reindex bool, rep *CheckReport) error {
	idx, space := b.space("i", bucket, gen), b.space("k", bucket, gen)
	names, has, err := b.indexed(ctx, idx, space)
	if err != nil {
		return err
	}
	for _, n := range names {
		var h head
		_, size, found, err := b.getJSON(ctx, space+n, &h)
		if err != nil && !errors.Is(err, errUndecodable) {
			return err
		}
		if err == nil && (!found || size == 0) {
			continue // removed meanwhile, or a tombstone
		}
		rep.Heads++
		key, grouped, _ := decodeName(n)
		if err == nil && (grouped && keyName(h.Key) != n || !grouped && h.Key != key) {
			err = fmt.Errorf("the head names key %.80q", h.Key)
		}
		if err != nil {
			rep.Damaged = append(rep.Damaged, Damaged{Bucket: bucket, Kind: "head", Key: key, Name: strings.TrimPrefix(space+n, b.base), Err: err})
			continue
		}
		if !has[n] {
			rep.Unindexed++
			if reindex {
				if err := b.fixEntry(ctx, idx+n, space+n, rep); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (b *Backend) checkUploads(ctx context.Context, bucket, gen string, reindex bool, rep *CheckReport) error {
	idx, space := b.space("ui", bucket, gen), b.space("u", bucket, gen)
	names, has, err := b.indexed(ctx, idx, space)
	if err != nil {
		return err
	}
	for _, n := range names {
		kn, _, ok := uploadKeyID(n)
		if !ok {
			continue // not ours
		}
		var r uploadRecord
		_, _, found, err := b.getJSON(ctx, space+n, &r)
		if err != nil && !errors.Is(err, errUndecodable) {
			return err
		}
		if err == nil && !found {
			continue // retired meanwhile
		}
		rep.Uploads++
		key, grouped, _ := decodeName(kn)
		if err == nil && (grouped && keyName(r.Key) != kn || !grouped && r.Key != key) {
			err = fmt.Errorf("the upload record names key %.80q", r.Key)
		}
		if err != nil {
			rep.Damaged = append(rep.Damaged, Damaged{Bucket: bucket, Kind: "upload", Key: key, Name: strings.TrimPrefix(space+n, b.base), Err: err})
			continue
		}
		if !has[n] && r.State != "aborted" {
			rep.Unindexed++
			if reindex {
				if err := b.fixEntry(ctx, idx+n, space+n, rep); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (b *Backend) checkParts(ctx context.Context, bucket, gen string, reindex bool, rep *CheckReport) error {
	idx, space := b.space("pi", bucket, gen), b.space("p", bucket, gen)
	names, has, err := b.indexed(ctx, idx, space)
	if err != nil {
		return err
	}
	for _, n := range names {
		var r partRecord
		_, _, found, err := b.getJSON(ctx, space+n, &r)
		if err != nil && !errors.Is(err, errUndecodable) {
			return err
		}
		if err == nil && !found {
			continue // retired meanwhile
		}
		rep.Parts++
		if err == nil && !strings.HasSuffix(n, fmt.Sprintf("/%05d", r.Number)) {
			err = fmt.Errorf("the part record is of part %d", r.Number)
		}
		if err != nil {
			rep.Damaged = append(rep.Damaged, Damaged{Bucket: bucket, Kind: "part", Name: strings.TrimPrefix(space+n, b.base), Err: err})
			continue
		}
		if !has[n] {
			rep.Unindexed++
			if reindex {
				if err := b.fixEntry(ctx, idx+n, space+n, rep); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// skipDamaged logs a record that a listing skips because it does not
// belong where it is (Check reports it, and scrub through Check).
func (b *Backend) skipDamaged(ctx context.Context, kind, bucket, name, key string) {
	b.log().WarnContext(ctx, "s3 backend: listing skips a damaged record; envelopegw fsck --upstream reports it",
		"kind", kind, "bucket", bucket, "name", strings.TrimPrefix(name, b.base), "names_key", key)
}

func (b *Backend) log() *slog.Logger {
	if b.logger != nil {
		return b.logger
	}
	return slog.Default()
}
