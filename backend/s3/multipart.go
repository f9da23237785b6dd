package s3

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"

	"envelopegw/backend"
)

// Multipart uploads live upstream, so any gateway serves any request:
//
//	u/<bucket>/<gen>/<key name>!<upload id>   upload record (key, time, metadata, state)
//	p/<bucket>/<gen>/<upload id>/<nnnnn>       part records: current version of each number
//	d/<bucket>/<gen>/u<upload id>-<part id>    part data, one upstream object per version
//
// A part commit writes its data object, then its record (last writer
// wins), then confirms that the upload and the bucket still exist. A
// replaced part version's data is not removed by the re-send (a racing
// CompleteUpload may have chosen it); CompleteUpload and AbortUpload
// remove every data object of the upload that the object does not use.
// CompleteUpload marks the upload record "completing" with a
// compare-and-swap first, so a concurrent Abort cannot remove data the
// new head names, and a second Complete cannot run at the same time; a
// claim older than staleAge may be taken over, which fence.go makes safe.

type uploadRecord struct {
	Key       string    `json:"key"`
	Initiated time.Time `json:"initiated"`
	Meta      binMeta   `json:"meta,omitempty"`
	State     string    `json:"state,omitempty"` // "", "completing", "aborted"
	Since     time.Time `json:"since,omitzero"`  // when State was set
}

type partRecord struct {
	Number  int       `json:"n"`
	ID      string    `json:"id"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime"`
	Meta    binMeta   `json:"meta,omitempty"`
	Data    string    `json:"data"`
}

const uploadIDLen = 32

func validUploadID(id string) bool {
	if len(id) != uploadIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func (b *Backend) uploadName(bucket, gen, key, id string) string {
	return b.space("u", bucket, gen) + keyName(key) + "!" + id
}

func (b *Backend) partName(bucket, gen, id string, n int) string {
	return fmt.Sprintf("%s%s/%05d", b.space("p", bucket, gen), id, n)
}

func (b *Backend) partDataPrefix(bucket, gen, id string) string {
	return "d/" + bucket + "/" + gen + "/u" + id + "-"
}

func noSuchUpload(bucket, key, id string) error {
	return fmt.Errorf("s3 backend: upload %.40q of %s/%.60q: %w", id, bucket, key, backend.ErrNoSuchUpload)
}

// readUpload returns an upload's record and ETag; ErrNoSuchUpload if it
// does not exist or was aborted.
func (b *Backend) readUpload(ctx context.Context, bucket, key, id string) (rec uploadRecord, gen, etag string, err error) {
	if err := checkKey(key); err != nil {
		return rec, "", "", err
	}
	if gen, err = b.gen(ctx, bucket); err != nil {
		return rec, "", "", err
	}
	if !validUploadID(id) {
		return rec, "", "", noSuchUpload(bucket, key, id)
	}
	etag, _, found, err := b.getJSON(ctx, b.uploadName(bucket, gen, key, id), &rec)
	if err != nil {
		return rec, "", "", err
	}
	if !found || rec.State == "aborted" || rec.Key != key {
		return rec, "", "", noSuchUpload(bucket, key, id)
	}
	return rec, gen, etag, nil
}

func (b *Backend) CreateUpload(ctx context.Context, bucket, key string, meta backend.Meta) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	if err := checkMeta(meta, bucket+"/"+key); err != nil {
		return "", err
	}
	gen, err := b.gen(ctx, bucket)
	if err != nil {
		return "", err
	}
	now := time.Now().UTC()
	id := fmt.Sprintf("%016x", now.UnixNano()) + randHex(8)
	name, entry := b.uploadName(bucket, gen, key, id), b.uploadIndexName(bucket, gen, key, id)
	if err := b.createEntry(ctx, entry); err != nil { // first: see uploadindex.go
		return "", err
	}
	if _, err := b.putJSON(ctx, name, uploadRecord{Key: key, Initiated: now, Meta: binMeta(meta.Clone())}, "*"); err != nil {
		b.remove(ctx, entry)
		return "", err
	}
	if err := b.confirm(ctx, bucket, gen); err != nil {
		b.remove(ctx, name)
		b.remove(ctx, entry)
		return "", err
	}
	return id, nil
}

func (b *Backend) StatUpload(ctx context.Context, bucket, key, id string) (backend.Upload, error) {
	rec, _, _, err := b.readUpload(ctx, bucket, key, id)
	if err != nil {
		return backend.Upload{}, err
	}
	return backend.Upload{Bucket: bucket, Key: key, UploadID: id, Initiated: rec.Initiated, Meta: backend.Meta(rec.Meta).Clone()}, nil
}

func (b *Backend) NewPart(ctx context.Context, bucket, key, id string, number int) (backend.Writer, error) {
	_, gen, _, err := b.readUpload(ctx, bucket, key, id)
	if err != nil {
		return nil, err
	}
	if number < 1 || number > 10000 {
		return nil, fmt.Errorf("s3 backend: part number %d out of 1..10000: %w", number, backend.ErrInvalidPart)
	}
	pid := randHex(16)
	w := b.newStream(ctx, b.partDataPrefix(bucket, gen, id)+pid)
	w.commit = func(meta backend.Meta, ex []extent) (backend.ObjectInfo, error) {
		if err := checkMeta(meta, bucket+"/"+key); err != nil {
			return backend.ObjectInfo{}, err
		}
		rec := partRecord{Number: number, ID: pid, ModTime: time.Now().UTC(), Meta: binMeta(meta.Clone())}
		if len(ex) == 1 {
			rec.Size, rec.Data = ex[0].Size, ex[0].Name
		}
		info := backend.ObjectInfo{Key: key, Size: rec.Size, ModTime: rec.ModTime, Meta: backend.Meta(rec.Meta).Clone(), Version: pid}
		return info, b.afterPart(ctx, bucket, gen, key, id, number, rec)
	}
	return w, nil
}

// afterPart publishes a part's record and checks that its upload and
// bucket outlived the upload of its data. Once the record is up, a
// CompleteUpload may put the part's data into an object, so the data
// stays (errKept) unless the upload is provably gone without an object
// that names it. The checks run to their end if the client hangs up.
func (b *Backend) afterPart(ctx context.Context, bucket, gen, key, id string, number int, rec partRecord) error {
	name, entry := b.partName(bucket, gen, id, number), b.partIndexName(bucket, gen, id, number)
	if err := b.createEntry(ctx, entry); err != nil { // first: see uploadindex.go
		return err // nothing names the data yet
	}
	if _, err := b.putJSON(ctx, name, rec, ""); err != nil {
		return keep(err) // it may be stored
	}
	hook("part-published")
	ctx = context.WithoutCancel(ctx)
	_, _, _, err := b.readUpload(ctx, bucket, key, id)
	if errors.Is(err, backend.ErrNoSuchUpload) && rec.Data != "" {
		// Completed or aborted meanwhile. A Complete publishes its head
		// before it retires the upload, so the head names this part now
		// or never will (or was replaced, which removed the part's data).
		used, herr := b.headNames(ctx, bucket, gen, key, rec.Data)
		if herr != nil {
			return keep(err)
		}
		if used {
			return nil // the completed object holds this version
		}
	}
	if errors.Is(err, backend.ErrNoSuchUpload) || errors.Is(err, backend.ErrNoSuchBucket) {
		// No other part of a retired upload can commit either, so its
		// index entry goes with it.
		if b.remove(ctx, name) == nil {
			b.remove(ctx, entry)
		}
		return err
	}
	if err != nil {
		return keep(err)
	}
	if err := b.confirm(ctx, bucket, gen); err != nil {
		if errors.Is(err, backend.ErrNoSuchBucket) {
			return err
		}
		return keep(err)
	}
	return nil
}

// parts reads the current part records of an upload, by number. It
// walks the part index, not the records, which a re-send rewrites.
func (b *Backend) parts(ctx context.Context, bucket, gen, id string) ([]partRecord, error) {
	// The records' own listing too: parts written before the part index
	// existed (an upload in flight across an upgrade) have no entry.
	names, err := b.recordNames(ctx, b.space("pi", bucket, gen)+id+"/", b.space("p", bucket, gen)+id+"/")
	if err != nil {
		return nil, err
	}
	out := make([]partRecord, 0, len(names))
	for _, n := range names {
		var r partRecord
		_, _, found, err := b.getJSON(ctx, n, &r)
		if errors.Is(err, errUndecodable) {
			b.skipDamaged(ctx, "part", bucket, n, "")
			continue
		}
		if err != nil {
			return nil, err
		}
		if found {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out, nil
}

func (b *Backend) ListParts(ctx context.Context, bucket, key, id string) ([]backend.PartInfo, error) {
	_, gen, _, err := b.readUpload(ctx, bucket, key, id)
	if err != nil {
		return nil, err
	}
	recs, err := b.parts(ctx, bucket, gen, id)
	if err != nil {
		return nil, err
	}
	out := make([]backend.PartInfo, len(recs))
	for i, r := range recs {
		out[i] = backend.PartInfo{Number: r.Number, ID: r.ID, Size: r.Size, ModTime: r.ModTime, Meta: backend.Meta(r.Meta).Clone()}
	}
	return out, nil
}

func (b *Backend) CompleteUpload(ctx context.Context, bucket, key, id string, refs []backend.PartRef, meta backend.Meta, cond ...backend.Cond) (backend.ObjectInfo, error) {
	if err := checkMeta(meta, bucket+"/"+key); err != nil {
		return backend.ObjectInfo{}, err
	}
	rec, gen, etag, err := b.readUpload(ctx, bucket, key, id)
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	recs, err := b.parts(ctx, bucket, gen, id)
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	byNum := make(map[int]partRecord, len(recs))
	for _, r := range recs {
		byNum[r.Number] = r
	}
	if len(refs) == 0 {
		return backend.ObjectInfo{}, fmt.Errorf("s3 backend: completing upload %s without parts: %w", id, backend.ErrInvalidPart)
	}
	h := &head{Key: key, ModTime: time.Now().UTC(), Meta: binMeta(meta.Clone()), Nonce: randHex(16)}
	named := make(map[int]bool, len(refs))
	for _, ref := range refs {
		r, ok := byNum[ref.Number]
		if named[ref.Number] {
			return backend.ObjectInfo{}, fmt.Errorf("s3 backend: part %d named twice: %w", ref.Number, backend.ErrInvalidPart)
		}
		named[ref.Number] = true
		if !ok || r.ID != ref.ID {
			return backend.ObjectInfo{}, fmt.Errorf("s3 backend: part %d version %.40q of upload %s is not current: %w", ref.Number, ref.ID, id, backend.ErrInvalidPart)
		}
		if r.Size > 0 {
			h.Extents = append(h.Extents, extent{Name: r.Data, Size: r.Size})
		}
	}
	// Claim the upload, so that Abort and other Completes keep off.
	uname := b.uploadName(bucket, gen, key, id)
	if rec.State == "completing" && time.Since(rec.Since) < b.staleAge {
		return backend.ObjectInfo{}, fmt.Errorf("s3 backend: upload %s is being completed by another request: %w", id, backend.ErrNoSuchUpload)
	}
	rec.State, rec.Since = "completing", time.Now().UTC()
	cetag, err := b.putJSON(ctx, uname, rec, putCond(etag))
	if err != nil {
		if errorsIsPrecondition(err) {
			return backend.ObjectInfo{}, noSuchUpload(bucket, key, id)
		}
		return backend.ObjectInfo{}, err
	}
	hook("upload-claimed")
	fence := func(ctx context.Context) error { return b.fenceClaim(ctx, uname, cetag, bucket, key, id) }
	info, err := b.publish(ctx, bucket, gen, h, cond, fence)
	if errors.Is(err, errKept) {
		// The head may be live and name the parts: release the upload
		// as completed, so that no Abort can remove what it names.
		b.retire(context.WithoutCancel(ctx), bucket, gen, key, id, extentSet(h.Extents))
		return backend.ObjectInfo{}, err
	}
	if err != nil {
		rec.State, rec.Since = "", time.Time{}
		b.putJSON(ctx, uname, rec, putCond(cetag)) // the upload stays as it was
		return backend.ObjectInfo{}, err
	}
	hook("upload-completed")
	b.retire(context.WithoutCancel(ctx), bucket, gen, key, id, extentSet(h.Extents))
	return info, nil
}

func extentSet(ex []extent) map[string]bool {
	set := make(map[string]bool, len(ex))
	for _, e := range ex {
		set[e.Name] = true
	}
	return set
}

// retire removes an upload's record, its part records and the data
// objects neither in keep nor named by the key's head, and their index
// entries after them. The caller changed the upload record (a claim, an
// abort) before: the head is read after that, so a Complete whose claim
// was taken over either published a head this read sees, or fails its
// fence (fence.go). Failures leave garbage, never state.
func (b *Backend) retire(ctx context.Context, bucket, gen, key, id string, keep map[string]bool) {
	if b.remove(ctx, b.uploadName(bucket, gen, key, id)) == nil {
		b.remove(ctx, b.uploadIndexName(bucket, gen, key, id))
	}
	if b.removePrefix(ctx, b.space("p", bucket, gen)+id+"/") == nil {
		b.removePrefix(ctx, b.space("pi", bucket, gen)+id+"/")
	}
	h, _, live, err := b.readHead(ctx, bucket, gen, key)
	if err != nil {
		return // the data stays for the sweep, which reads the heads
	}
	if live {
		keep = maps.Clone(keep)
		if keep == nil {
			keep = map[string]bool{}
		}
		for _, e := range h.Extents {
			keep[e.Name] = true
		}
	}
	dp := b.partDataPrefix(bucket, gen, id)
	var drop []string
	b.names(ctx, b.base+dp, "", func(n string, _ int64) bool {
		if !keep[dp+n] {
			drop = append(drop, dp+n)
		}
		return true
	})
	for _, n := range drop {
		b.remove(ctx, b.base+n)
	}
}

func (b *Backend) AbortUpload(ctx context.Context, bucket, key, id string) error {
	rec, gen, etag, err := b.readUpload(ctx, bucket, key, id)
	if err != nil {
		return err
	}
	if rec.State == "completing" && time.Since(rec.Since) < b.staleAge {
		return fmt.Errorf("s3 backend: upload %s is being completed: %w", id, backend.ErrNoSuchUpload)
	}
	rec.State, rec.Since = "aborted", time.Now().UTC()
	if _, err := b.putJSON(ctx, b.uploadName(bucket, gen, key, id), rec, putCond(etag)); err != nil {
		if errorsIsPrecondition(err) {
			return noSuchUpload(bucket, key, id)
		}
		return err
	}
	b.retire(ctx, bucket, gen, key, id, nil)
	return nil
}

// uploadKeyID splits an upload record name into its key name and ID.
func uploadKeyID(n string) (string, string, bool) {
	i := strings.LastIndexByte(n, '!')
	if i < 0 || !validUploadID(n[i+1:]) {
		return "", "", false
	}
	return n[:i], n[i+1:], true
}
