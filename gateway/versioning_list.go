package gateway

import (
	"context"
	"strings"

	"envelopegw/backend"
	"envelopegw/s3api"
)

// ListObjectVersions implements s3api.Versioning: a merge of the current
// entries (user keys) and the noncurrent ones (the archive namespace),
// both listed in order by the backend, so a page costs what two listing
// pages cost. Within a key the current version comes first, then the
// noncurrent ones newest first (their suffixes sort that way).
func (s *Service) ListObjectVersions(ctx context.Context, in *s3api.ListVersionsInput) (*s3api.ListVersionsOutput, error) {
	o := op{"ListObjectVersions", in.Bucket, "", ctx}
	out := &s3api.ListVersionsOutput{}
	if strings.HasPrefix(in.Prefix, reservedPrefix) || strings.Contains(in.Delimiter, reservedPrefix) {
		_, err := s.be.HeadBucket(ctx, in.Bucket)
		return out, s.fail(o, err)
	}
	max := in.MaxKeys
	if max <= 0 {
		max = 1000
	}
	archAfter, err := s.archiveAfter(ctx, in)
	if err != nil {
		return nil, s.fail(o, err)
	}
	cur := &verStream{s: s, ctx: ctx, bucket: in.Bucket, opts: backend.ListOptions{
		Prefix: in.Prefix, Delimiter: in.Delimiter, After: maxStr(in.KeyMarker, afterReserved), MaxKeys: max}}
	arch := &verStream{s: s, ctx: ctx, bucket: in.Bucket, archive: true, opts: backend.ListOptions{
		Prefix: archivePrefix + in.Prefix, Delimiter: in.Delimiter, After: archAfter, MaxKeys: max}}
	lastPrefix := ""
	var curKey, curVid string // the last current version listed
	for {
		it, err := nextVersion(cur, arch)
		if err != nil {
			return nil, s.fail(o, err)
		}
		if it == nil {
			return out, nil
		}
		if !it.prefix && !it.current && it.key == curKey && s.versionInfo(in.Bucket, it).VersionID == curVid {
			continue // a promotion's duplicate (versioning_promote.go): current wins
		}
		if len(out.Versions)+len(out.CommonPrefixes) == max {
			if !(it.prefix && it.key == lastPrefix) {
				out.IsTruncated = true
				return out, nil
			}
		}
		if it.prefix {
			if it.key != lastPrefix {
				out.CommonPrefixes = append(out.CommonPrefixes, it.key)
				lastPrefix = it.key
				out.NextKeyMarker, out.NextVersionIDMarker = it.key, ""
			}
			continue
		}
		v := s.versionInfo(in.Bucket, it)
		if it.current {
			curKey, curVid = v.Key, v.VersionID
		}
		out.Versions = append(out.Versions, v)
		out.NextKeyMarker, out.NextVersionIDMarker = v.Key, v.VersionID
	}
}

// archiveAfter is where the noncurrent listing starts for the markers.
func (s *Service) archiveAfter(ctx context.Context, in *s3api.ListVersionsInput) (string, error) {
	k, v := in.KeyMarker, in.VersionIDMarker
	switch {
	case k == "":
		return "", nil
	case v == "" && in.Delimiter != "" && strings.HasSuffix(k, in.Delimiter):
		return archivePrefix + k, nil // a common prefix: all below it
	case v == "":
		return archivePrefix + k + "\x01", nil // past every version of k
	case v != nullVersion:
		if !validVersionID(v) {
			return "", s3api.ErrInvalidArgument.WithMessage("Invalid version id specified")
		}
		return archiveKey(k, v), nil
	}
	if sfx, ok, err := s.findNoncurrent(ctx, in.Bucket, k, nullVersion); err != nil || ok {
		return archiveKey(k, sfx), err
	}
	// The null version is current: every noncurrent version follows it.
	return archivePrefix + k + "\x00", nil
}

func maxStr(a, b string) string {
	if a > b {
		return a
	}
	return b
}

// verItem is one entry of either listing.
type verItem struct {
	key     string // user key, or common prefix
	suffix  string // noncurrent: the suffix; current: ""
	prefix  bool
	current bool
	bi      backend.ObjectInfo
}

// less orders entries: by key, the current version first, then suffix.
func (x *verItem) less(y *verItem) bool {
	if x.key != y.key {
		return x.key < y.key
	}
	if x.current != y.current {
		return x.current
	}
	return x.suffix < y.suffix
}

// verStream pages through one of the two listings.
type verStream struct {
	s       *Service
	ctx     context.Context
	bucket  string
	opts    backend.ListOptions
	archive bool
	buf     []*verItem
	done    bool
}

func (st *verStream) peek() (*verItem, error) {
	for len(st.buf) == 0 && !st.done {
		page, err := st.s.be.List(st.ctx, st.bucket, st.opts)
		if err != nil {
			return nil, err
		}
		st.fill(page)
		st.done = !page.IsTruncated
		st.opts.After = page.NextAfter
	}
	if len(st.buf) == 0 {
		return nil, nil
	}
	return st.buf[0], nil
}

func (st *verStream) pop() *verItem {
	it := st.buf[0]
	st.buf = st.buf[1:]
	return it
}

// nextVersion pops whichever of the current and the archived stream's
// next entries comes first (see less): the two listings merged into one
// version order. It returns nil once both are done.
func nextVersion(cur, arch *verStream) (*verItem, error) {
	a, err := cur.peek()
	if err != nil {
		return nil, err
	}
	b, err := arch.peek()
	if err != nil {
		return nil, err
	}
	switch {
	case a == nil && b == nil:
		return nil, nil
	case b == nil || a != nil && !b.less(a):
		return cur.pop(), nil
	}
	return arch.pop(), nil
}

// fill merges a page's objects and common prefixes into entries.
func (st *verStream) fill(page backend.ListPage) {
	pi, po := 0, 0
	for pi < len(page.CommonPrefixes) || po < len(page.Objects) {
		if po < len(page.Objects) && (pi == len(page.CommonPrefixes) || page.Objects[po].Key < page.CommonPrefixes[pi]) {
			bo := page.Objects[po]
			po++
			it := &verItem{key: bo.Key, current: !st.archive, bi: bo}
			if st.archive {
				k, sfx, ok := splitArchiveKey(bo.Key)
				if !ok {
					continue
				}
				it.key, it.suffix = k, sfx
				it.bi.Key = k
			}
			st.buf = append(st.buf, it)
			continue
		}
		p := page.CommonPrefixes[pi]
		pi++
		if st.archive {
			p = strings.TrimPrefix(p, archivePrefix)
		}
		st.buf = append(st.buf, &verItem{key: p, prefix: true})
	}
}

// versionInfo describes one listed version from metadata alone.
func (s *Service) versionInfo(bucket string, it *verItem) s3api.VersionInfo {
	v := s3api.VersionInfo{IsLatest: it.current}
	if IsDeleteMarker(it.bi.Meta) {
		v.DeleteMarker = true
		v.Key = it.key
		v.VersionID = it.bi.Meta[mMarker]
		v.LastModified = markerTime(it.bi)
		return v
	}
	v.ObjectInfo = s.listInfo(bucket, it.bi)
	v.VersionID = v.ObjectInfo.VersionID
	if v.VersionID == "" {
		v.VersionID = nullVersion
	}
	return v
}
