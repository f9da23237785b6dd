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
		for _, sc := range b.spaceChecks() {
			if err := b.checkSpace(ctx, bucket, r.Gen, sc, reindex, &rep); err != nil {
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

// spaceCheck names one record space of a bucket that Check walks: the
// tags of its index and record spaces, the counter of records read, and
// examine, which reads one record.
type spaceCheck struct {
	kind, idx, space string
	count            func(*CheckReport) *int
	examine          func(ctx context.Context, name, record string) (checked, error)
}

// checked is what examine found in one record: skip when it is not the
// gateway's or went away meanwhile, the key its name stands for, what is
// wrong with it (damage), and whether it needs no index entry.
type checked struct {
	skip    bool
	key     string
	damage  error
	noIndex bool
}

// checkSpace reads every record of one space, reports the damaged ones
// and those without an index entry, and indexes the latter if reindex is
// set. An error of examine (not damage: the upstream failing) ends it.
func (b *Backend) checkSpace(ctx context.Context, bucket, gen string, sc spaceCheck, reindex bool, rep *CheckReport) error {
	idx, space := b.space(sc.idx, bucket, gen), b.space(sc.space, bucket, gen)
	names, has, err := b.indexed(ctx, idx, space)
	if err != nil {
		return err
	}
	for _, n := range names {
		c, err := sc.examine(ctx, n, space+n)
		if err != nil {
			return err
		}
		if c.skip {
			continue
		}
		*sc.count(rep)++
		if c.damage != nil {
			rep.Damaged = append(rep.Damaged, Damaged{Bucket: bucket, Kind: sc.kind, Key: c.key, Name: strings.TrimPrefix(space+n, b.base), Err: c.damage})
			continue
		}
		if has[n] || c.noIndex {
			continue
		}
		rep.Unindexed++
		if reindex {
			if err := b.fixEntry(ctx, idx+n, space+n, rep); err != nil {
				return err
			}
		}
	}
	return nil
}

// spaceChecks are the record spaces of a bucket, uploads before parts
// before heads, the order in which a Complete publishes them.
func (b *Backend) spaceChecks() []spaceCheck {
	return []spaceCheck{
		{"upload", "ui", "u", func(r *CheckReport) *int { return &r.Uploads }, b.examineUpload},
		{"part", "pi", "p", func(r *CheckReport) *int { return &r.Parts }, b.examinePart},
		{"head", "i", "k", func(r *CheckReport) *int { return &r.Heads }, b.examineHead},
	}
}

// readChecked reads a record into v: fatal is an upstream failure,
// damage a record that does not decode, gone one removed meanwhile (or a
// tombstone, when empty counts as gone).
func (b *Backend) readChecked(ctx context.Context, record string, v any, emptyIsGone bool) (gone bool, damage, fatal error) {
	_, size, found, err := b.getJSON(ctx, record, v)
	switch {
	case errors.Is(err, errUndecodable):
		return false, err, nil
	case err != nil:
		return false, nil, err
	}
	return !found || emptyIsGone && size == 0, nil, nil
}

func (b *Backend) examineHead(ctx context.Context, n, record string) (checked, error) {
	var h head
	gone, damage, err := b.readChecked(ctx, record, &h, true)
	if err != nil || gone {
		return checked{skip: true}, err
	}
	key, grouped, _ := decodeName(n)
	if damage == nil && (grouped && keyName(h.Key) != n || !grouped && h.Key != key) {
		damage = fmt.Errorf("the head names key %.80q", h.Key)
	}
	return checked{key: key, damage: damage}, nil
}

func (b *Backend) examineUpload(ctx context.Context, n, record string) (checked, error) {
	kn, _, ok := uploadKeyID(n)
	if !ok {
		return checked{skip: true}, nil // not ours
	}
	var r uploadRecord
	gone, damage, err := b.readChecked(ctx, record, &r, false)
	if err != nil || gone {
		return checked{skip: true}, err
	}
	key, grouped, _ := decodeName(kn)
	if damage == nil && (grouped && keyName(r.Key) != kn || !grouped && r.Key != key) {
		damage = fmt.Errorf("the upload record names key %.80q", r.Key)
	}
	return checked{key: key, damage: damage, noIndex: r.State == "aborted"}, nil
}

func (b *Backend) examinePart(ctx context.Context, n, record string) (checked, error) {
	var r partRecord
	gone, damage, err := b.readChecked(ctx, record, &r, false)
	if err != nil || gone {
		return checked{skip: true}, err
	}
	if damage == nil && !strings.HasSuffix(n, fmt.Sprintf("/%05d", r.Number)) {
		damage = fmt.Errorf("the part record is of part %d", r.Number)
	}
	return checked{damage: damage}, nil
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
