package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"envelopegw/backend"
	"envelopegw/envelope"
	"envelopegw/inventory"
)

// InventoryLog receives every change the service commits to an object
// (package inventory keeps it): an intent (Entry.Pending) before the
// backend commit, the entry after it and before the client is answered.
// Append returns once the entry is durable.
type InventoryLog interface {
	Append(ctx context.Context, e inventory.Entry) error
}

// The log is kept by wrapping the backend, so that every path that
// changes an object (PUT, Complete, Copy, DeleteObject(s), tagging,
// rewrap, and whatever comes later) is logged without each remembering
// to: the change's kind follows from the backend call, its record from
// the metadata it stores.

type loggedBackend struct {
	backend.Backend
	log InventoryLog
}

// RecordHash names what an object's metadata stores: the hex SHA-256 of
// its signed record (format v2), else of its whole encoded metadata.
func RecordHash(m backend.Meta) string {
	if m[mVersion] == metaV2 {
		if rb, err := getBytes(m, mRecord); err == nil {
			h := sha256.Sum256(rb)
			return hex.EncodeToString(h[:])
		}
	}
	h := sha256.Sum256(append([]byte("envelopegw metadata\x00"), envelope.EncodeMeta(m)...))
	return hex.EncodeToString(h[:])
}

// InventoryName is how the inventory names a backend key: a noncurrent
// version's reserved name becomes its user key and version suffix; every
// other backend key (the current version, the bucket configuration) is
// itself with no version.
func InventoryName(backendKey string) (key, version string) {
	if rest, ok := strings.CutPrefix(backendKey, archivePrefix); ok {
		if i := strings.LastIndexByte(rest, 0); i >= 0 {
			return rest[:i], rest[i+1:]
		}
	}
	return backendKey, ""
}

func entryFor(kind, bucket, backendKey string, m backend.Meta) inventory.Entry {
	key, version := InventoryName(backendKey)
	e := inventory.Entry{Kind: kind, Bucket: bucket, Key: key, Version: version, Time: time.Now().UTC()}
	if kind == inventory.KindDelete {
		return e
	}
	e.RecordHash = RecordHash(m)
	if rb, err := getBytes(m, mRecord); err == nil {
		if rec, err := envelope.ParseSignedRecordUnauthenticated(rb); err == nil {
			e.WriteID, e.Size = hex.EncodeToString(rec.WriteID[:]), rec.Size
		}
	}
	return e
}

// intent logs e as pending; a failure leaves the volume untouched, so it
// is a temporary unavailability.
func (b *loggedBackend) intent(ctx context.Context, e inventory.Entry) error {
	e.Pending = true
	if err := b.log.Append(ctx, e); err != nil {
		return fmt.Errorf("inventory: logging the intent to %s %s/%s: %v: %w", e.Kind, e.Bucket, e.Key, err, backend.ErrUnavailable)
	}
	return nil
}

// done logs e after its commit. A failure is reported to the client: the
// change is on the volume but unlogged, which verify reports.
func (b *loggedBackend) done(ctx context.Context, e inventory.Entry, stored int64) error {
	e.Stored, e.Time = stored, time.Now().UTC()
	if err := b.log.Append(ctx, e); err != nil {
		return fmt.Errorf("inventory: %s %s/%s committed but not logged: %w", e.Kind, e.Bucket, e.Key, err)
	}
	return nil
}

func (b *loggedBackend) NewObject(ctx context.Context, bucket, key string, cond ...backend.Cond) (backend.Writer, error) {
	w, err := b.Backend.NewObject(ctx, bucket, key, cond...)
	if err != nil {
		return nil, err
	}
	return &loggedWriter{Writer: w, b: b, ctx: ctx, bucket: bucket, key: key}, nil
}

type loggedWriter struct {
	backend.Writer
	b           *loggedBackend
	ctx         context.Context
	bucket, key string
	n           int64
}

func (w *loggedWriter) Write(p []byte) (int, error) {
	n, err := w.Writer.Write(p)
	w.n += int64(n)
	return n, err
}

func (w *loggedWriter) Commit(meta backend.Meta) (backend.ObjectInfo, error) {
	e := entryFor(inventory.KindPut, w.bucket, w.key, meta)
	if err := w.b.intent(w.ctx, e); err != nil {
		return backend.ObjectInfo{}, err
	}
	info, err := w.Writer.Commit(meta)
	if err != nil {
		return info, err
	}
	return info, w.b.done(w.ctx, e, w.n)
}

func (b *loggedBackend) CompleteUpload(ctx context.Context, bucket, key, uploadID string, parts []backend.PartRef, meta backend.Meta, cond ...backend.Cond) (backend.ObjectInfo, error) {
	e := entryFor(inventory.KindComplete, bucket, key, meta)
	if err := b.intent(ctx, e); err != nil {
		return backend.ObjectInfo{}, err
	}
	info, err := b.Backend.CompleteUpload(ctx, bucket, key, uploadID, parts, meta, cond...)
	if err != nil {
		return info, err
	}
	return info, b.done(ctx, e, info.Size)
}

func (b *loggedBackend) SetMeta(ctx context.Context, bucket, key string, meta backend.Meta, ifModTime time.Time) (backend.ObjectInfo, error) {
	e := entryFor(inventory.KindSetMeta, bucket, key, meta)
	if err := b.intent(ctx, e); err != nil {
		return backend.ObjectInfo{}, err
	}
	info, err := b.Backend.SetMeta(ctx, bucket, key, meta, ifModTime)
	if err != nil {
		return info, err
	}
	return info, b.done(ctx, e, info.Size)
}

func (b *loggedBackend) Delete(ctx context.Context, bucket, key string, cond ...backend.Cond) error {
	e := entryFor(inventory.KindDelete, bucket, key, nil)
	if err := b.intent(ctx, e); err != nil {
		return err
	}
	if err := b.Backend.Delete(ctx, bucket, key, cond...); err != nil {
		return err
	}
	return b.done(ctx, e, 0)
}
