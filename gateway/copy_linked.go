package gateway

import (
	"context"
	"errors"
	"io"

	"envelopegw/backend"
	"envelopegw/s3api"
)

// commitCopy stores the destination of a CopyObject: the source's stored
// ciphertext, unchanged, under the new record meta (signed for the new
// name by resign). It asks the backend to share or copy the bytes itself
// (Backend.Copy: hard links on posix, a server-side copy upstream), so the
// gateway reads and writes no ciphertext byte and needs no key beyond the
// signing key: it works on an ingest-only host.
//
// Backend.Copy is held to the exact version src was opened and verified
// at. Where the store cannot share the bytes (ErrCopyUnsupported: another
// filesystem) or that version was replaced since (ErrSourceChanged), the
// opened source is streamed through a writer instead, still as
// ciphertext: the record was signed over that version's part digests, so
// only its bytes may go under it.
//
// Neither path re-encrypts: the header, and so the recipients, stay the
// source's. A copy into a bucket whose keyring names other recipients
// would need the plaintext, which an ingest-only host cannot read; the
// object stays readable by the source's recipients.
func (s *Service) commitCopy(ctx context.Context, in *s3api.CopyObjectInput, src backend.Object, bi backend.ObjectInfo, meta backend.Meta, conds []backend.Cond) (backend.ObjectInfo, error) {
	// bi.Key is the stored key, which for an older version of a versioned
	// source is not in.SrcKey.
	from := backend.CopySource{Bucket: in.SrcBucket, Key: bi.Key, Version: bi.Version}
	info, err := s.be.Copy(ctx, from, in.DstBucket, in.DstKey, meta, conds...)
	if !errors.Is(err, backend.ErrSourceChanged) && !errors.Is(err, backend.ErrCopyUnsupported) {
		return info, err
	}
	w, err := s.be.NewObject(ctx, in.DstBucket, in.DstKey, conds...)
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	defer w.Abort()
	bp := bufPool.Get().(*[]byte)
	_, err = io.CopyBuffer(w, io.NewSectionReader(src, 0, bi.Size), *bp)
	bufPool.Put(bp)
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	return w.Commit(meta)
}
