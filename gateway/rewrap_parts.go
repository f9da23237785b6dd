package gateway

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"time"

	"envelopegw/backend"
	"envelopegw/envelope"
)

// rewrapParts rewraps an object whose parts have their own data keys
// (table version 2). Their keys are wrapped in part headers inside the
// stored data, so the object is written anew: each part header is
// rewrapped (same part data key, new stanzas), salts and segments are
// copied as they are (never decrypted), each part's ciphertext digest is
// recomputed on the way, and a new table and record are signed. The
// write is conditional on the version read, like SetMeta in a plain
// rewrap, and the new object replaces the old one whole.
func (s *Service) rewrapParts(ctx context.Context, bucket, key string, bi backend.ObjectInfo, so *storedObject, k *envelope.Key, tab *envelope.Table, nb []byte, add []envelope.Recipient, remove []string) error {
	if s.signer == nil {
		return fmt.Errorf("the object is in format v2, whose signed record names its parts: rewrap needs the signing key (--signing-key)")
	}
	obj, err := s.be.Open(ctx, bucket, key)
	if err != nil {
		return err
	}
	defer obj.Close()
	if oi := obj.Info(); oi.Version != bi.Version {
		return fmt.Errorf("the object changed while being rewrapped: %w", backend.ErrPrecondition)
	}
	w, err := s.be.NewObject(ctx, bucket, key, backend.Cond{IfVersion: bi.Version})
	if err != nil {
		return err
	}
	defer w.Abort()
	seg := k.SegmentSize()
	ids := s.keySet().identities
	infos := make([]envelope.PartInfo, len(tab.Parts))
	rparts := make([]envelope.RecordPart, len(tab.Parts))
	var off int64
	for i, p := range tab.Parts {
		ph, err := envelope.RewrapPartHeader(obj, off, p, seg, ids, add, remove)
		if err != nil {
			return err
		}
		dw := newDigestWriter(w)
		if _, err := dw.Write(ph); err != nil {
			return err
		}
		body := envelope.CiphertextSize(p.Size, seg)
		if _, err := io.Copy(dw, io.NewSectionReader(obj, off+int64(p.HeaderLen), body)); err != nil {
			return fmt.Errorf("copying part %d: %w", p.Number, err)
		}
		off += p.StoredSize(seg)
		infos[i] = p
		infos[i].HeaderLen, infos[i].HeaderHash = len(ph), sha256.Sum256(ph)
		rparts[i] = envelope.RecordPart{Size: p.Size, Digest: dw.sum()}
	}
	table, err := k.SealTable(infos)
	if err != nil {
		return err
	}
	attrs := so.attrs.Clone()
	if _, ok := attrs[mLastModified]; !ok {
		attrs[mLastModified] = bi.ModTime.UTC().Format(time.RFC3339Nano)
	}
	meta, err := s.signObject(objectWrite{
		bucket: so.rec.Bucket, key: so.rec.Key,
		header: nb, table: table, parts: rparts, attrs: attrs,
		dataWrap: so.rec.DataKey, mk: so.mk, gatewayWrap: so.rec.GatewayKey,
	})
	if err != nil {
		return err
	}
	_, err = w.Commit(meta)
	return err
}
