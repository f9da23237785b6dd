package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/minio/minio-go/v7"

	"envelopegw/backend"
)

// head is the record of an object: its key, time, metadata and the
// upstream data objects (extents) that hold its bytes, in order. The
// nonce makes every head's bytes, and so its ETag (the version), unique.
// An empty head object is a tombstone: a conditional Delete leaves one,
// because S3 has no conditional delete; every reader treats it as absent.
type head struct {
	Key     string    `json:"key"`
	ModTime time.Time `json:"mtime"`
	Meta    binMeta   `json:"meta,omitempty"`
	Extents []extent  `json:"extents,omitempty"`
	Nonce   string    `json:"nonce"`
}

type extent struct {
	Name string `json:"name"` // relative to the base prefix
	Size int64  `json:"size"`
}

func (h *head) size() int64 {
	var n int64
	for _, e := range h.Extents {
		n += e.Size
	}
	return n
}

func (h *head) info(version string) backend.ObjectInfo {
	return backend.ObjectInfo{Key: h.Key, Size: h.size(), ModTime: h.ModTime, Meta: backend.Meta(h.Meta).Clone(), Version: version}
}

func (b *Backend) headName(bucket, gen, key string) string {
	return b.space("k", bucket, gen) + keyName(key)
}

// readHead returns the current head; live=false if there is none or a
// tombstone (etag then names what is there, "" for nothing). A damaged
// head is an error wrapping errDamaged, with its etag.
func (b *Backend) readHead(ctx context.Context, bucket, gen, key string) (h head, etag string, live bool, err error) {
	etag, size, found, err := b.getJSON(ctx, b.headName(bucket, gen, key), &h)
	if errors.Is(err, errUndecodable) {
		return head{}, etag, false, fmt.Errorf("s3 backend: %s/%.60q: %w: %w", bucket, key, errDamaged, err)
	}
	if err != nil || !found {
		return h, "", false, err
	}
	if size == 0 {
		return head{}, etag, false, nil
	}
	if h.Key != key {
		return head{}, etag, false, fmt.Errorf("s3 backend: %s/%.60q: %w: head %q names key %.60q", bucket, key, errDamaged, b.headName(bucket, gen, key), h.Key)
	}
	return h, etag, true, nil
}

func noSuchKey(bucket, key string) error {
	return fmt.Errorf("s3 backend: %s/%.60q: %w", bucket, key, backend.ErrNoSuchKey)
}

func (b *Backend) removeExtents(ctx context.Context, ex []extent) {
	for _, e := range ex {
		b.remove(ctx, b.base+e.Name) // garbage if it fails, never state
	}
}

func (b *Backend) NewObject(ctx context.Context, bucket, key string, cond ...backend.Cond) (backend.Writer, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	gen, err := b.gen(ctx, bucket)
	if err != nil {
		return nil, err
	}
	name := "d/" + bucket + "/" + gen + "/" + randHex(16)
	w := b.newStream(ctx, name)
	w.commit = func(meta backend.Meta, ex []extent) (backend.ObjectInfo, error) {
		if err := checkMeta(meta, bucket+"/"+key); err != nil {
			return backend.ObjectInfo{}, err
		}
		h := &head{Key: key, ModTime: time.Now().UTC(), Meta: binMeta(meta.Clone()), Extents: ex, Nonce: randHex(16)}
		return b.publish(ctx, bucket, gen, h, cond, nil)
	}
	return w, nil
}

func (b *Backend) Stat(ctx context.Context, bucket, key string) (backend.ObjectInfo, error) {
	h, v, err := b.liveHead(ctx, bucket, key)
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	return h.info(v), nil
}

func (b *Backend) liveHead(ctx context.Context, bucket, key string) (head, string, error) {
	if err := checkKey(key); err != nil {
		return head{}, "", err
	}
	gen, err := b.gen(ctx, bucket)
	if err != nil {
		return head{}, "", err
	}
	h, v, live, err := b.readHead(ctx, bucket, gen, key)
	if err == nil && !live {
		err = noSuchKey(bucket, key)
	}
	return h, v, err
}

func (b *Backend) SetMeta(ctx context.Context, bucket, key string, meta backend.Meta, ifModTime time.Time) (backend.ObjectInfo, error) {
	if err := checkKey(key); err != nil {
		return backend.ObjectInfo{}, err
	}
	if err := checkMeta(meta, bucket+"/"+key); err != nil {
		return backend.ObjectInfo{}, err
	}
	gen, err := b.gen(ctx, bucket)
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	var h head
	check := func(cur *head, live bool) error {
		if !live {
			return noSuchKey(bucket, key)
		}
		if !ifModTime.IsZero() && !cur.ModTime.Equal(ifModTime) {
			return fmt.Errorf("s3 backend: %s/%.60q changed since %v: %w", bucket, key, ifModTime, backend.ErrPrecondition)
		}
		return nil
	}
	_, version, err := b.swapHead(ctx, bucket, gen, key, nil, check, func(cur *head) *head {
		h = *cur
		h.Meta = binMeta(meta.Clone())
		h.ModTime = time.Now().UTC()
		if !h.ModTime.After(cur.ModTime) {
			h.ModTime = cur.ModTime.Add(time.Microsecond)
		}
		h.Nonce = randHex(16)
		return &h
	})
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	return h.info(version), nil
}

// Delete removes the head; with conditions it swaps in a tombstone
// instead, which is S3's only atomic conditional removal.
func (b *Backend) Delete(ctx context.Context, bucket, key string, cond ...backend.Cond) error {
	if err := checkKey(key); err != nil {
		return err
	}
	gen, err := b.gen(ctx, bucket)
	if err != nil {
		return err
	}
	mustLive := func(_ *head, live bool) error {
		if !live {
			return noSuchKey(bucket, key)
		}
		return nil
	}
	if len(cond) > 0 {
		old, _, err := b.swapHead(ctx, bucket, gen, key, cond, mustLive, func(*head) *head { return nil })
		if err != nil {
			return err
		}
		b.dropIndex(ctx, bucket, gen, key)
		b.removeExtents(ctx, old.Extents)
		return nil
	}
	h, _, live, err := b.readHead(ctx, bucket, gen, key)
	if errors.Is(err, errDamaged) {
		live, err = true, nil // removed as a live head would be
	}
	if err != nil {
		return err
	}
	if !live {
		return noSuchKey(bucket, key)
	}
	if err := b.remove(ctx, b.headName(bucket, gen, key)); err != nil {
		return err
	}
	b.dropIndex(ctx, bucket, gen, key)
	b.removeExtents(ctx, h.Extents)
	return nil
}

// object reads the extents of one head with ranged upstream GETs.
type object struct {
	b    *Backend
	ctx  context.Context
	info backend.ObjectInfo
	ex   []extent
}

func (b *Backend) Open(ctx context.Context, bucket, key string) (backend.Object, error) {
	h, v, err := b.liveHead(ctx, bucket, key)
	if err != nil {
		return nil, err
	}
	return &object{b: b, ctx: context.WithoutCancel(ctx), info: h.info(v), ex: h.Extents}, nil
}

func (o *object) Info() backend.ObjectInfo { return o.info }
func (o *object) Close() error             { return nil }

// ReadAt reads only the upstream ranges that p covers.
func (o *object) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("s3 backend: negative offset %d", off)
	}
	n := 0
	start := int64(0)
	for _, e := range o.ex {
		if n == len(p) {
			break
		}
		end := start + e.Size
		pos := off + int64(n)
		if pos >= end {
			start = end
			continue
		}
		want := min(int64(len(p)-n), end-pos)
		if err := o.readExtent(e, pos-start, p[n:n+int(want)]); err != nil {
			return n, err
		}
		n += int(want)
		start = end
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (o *object) readExtent(e extent, off int64, p []byte) error {
	opts := minio.GetObjectOptions{}
	if err := opts.SetRange(off, off+int64(len(p))-1); err != nil {
		return err
	}
	rc, _, _, err := o.b.core.GetObject(o.ctx, o.b.bucket, o.b.base+e.Name, opts)
	if err != nil {
		if isNotFound(err) {
			return fmt.Errorf("s3 backend: %s: removed by a concurrent replace or delete: %w", o.info.Key, backend.ErrNoSuchKey)
		}
		return upstreamErr("reading", e.Name, err)
	}
	defer rc.Close()
	if _, err := io.ReadFull(rc, p); err != nil {
		return upstreamErr("reading", e.Name, err)
	}
	return nil
}
