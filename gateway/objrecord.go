package gateway

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"envelopegw/backend"
	"envelopegw/envelope"
	"envelopegw/s3api"
)

// Format v2 objects (envelope/FORMAT.md "Object records"): the backend
// metadata holds only the header, the sealed table and the signed record;
// everything S3 reports beyond name, size and time is sealed inside the
// record under a per-object metadata key, wrapped for this gateway (the
// key derived from the state key) and for the data key.

const (
	metaV2  = "2"
	mRecord = "r"
	mSealed = "m" // sealed attributes of an upload or a part
	mDigest = "d" // a part's stored-ciphertext SHA-256
)

var (
	errNoSigner = s3api.ErrAccessDenied.WithMessage("This gateway has no signing key and cannot store objects.")
	// errUnsigned marks a format v1 object, which no signature vouches for.
	errUnsigned = fmt.Errorf("%w: the object is in format v1, which carries no signature (read it with --insecure-skip-signer if you trust the volume)", envelope.ErrSignature)
)

// objectWrite is what a new record is made of.
type objectWrite struct {
	bucket, key   string
	header, table []byte
	parts         []envelope.RecordPart
	attrs         backend.Meta      // the sealed attributes (mETag, checksums, content headers, ...)
	dataKey       *envelope.Key     // the data key, to wrap the metadata key for restore hosts; or
	dataWrap      []byte            // that wrapping, carried over from the source of a copy
	mk            *envelope.MetaKey // nil: a fresh metadata key
	// gatewayWrap is mk's wrapping for the gateway state key, carried over
	// by a service that has no state key (an offline rewrap): without it
	// the re-signed record would leave the serving gateways unable to
	// open the object's attributes (ETag, version ID, Last-Modified) in
	// listings, conditions and create-only retries.
	gatewayWrap []byte
}

// signObject seals w's attributes and signs its record, returning the
// backend metadata of the object.
func (s *Service) signObject(w objectWrite) (backend.Meta, error) {
	signer := s.signerFor(w.bucket)
	if signer == nil {
		return nil, errNoSigner
	}
	rec := &envelope.Record{Created: time.Now().UTC(), Bucket: w.bucket, Key: w.key, Parts: w.parts}
	var err error
	if rec.WriteID, err = envelope.NewWriteID(); err != nil {
		return nil, err
	}
	for _, p := range w.parts {
		rec.Size += p.Size
	}
	rec.HeaderHash = sha256.Sum256(w.header)
	rec.TableHash = sha256.Sum256(w.table)
	mk := w.mk
	if mk == nil {
		if mk, err = envelope.NewMetaKey(); err != nil {
			return nil, err
		}
	}
	switch {
	case s.metaKey != nil:
		if rec.GatewayKey, err = mk.WrapForGateway(s.metaKey); err != nil {
			return nil, err
		}
	case w.mk != nil:
		rec.GatewayKey = w.gatewayWrap // the same metadata key, wrapped as before
	}
	switch {
	case w.dataKey != nil:
		rec.DataKey, err = mk.WrapForDataKey(w.dataKey)
	default:
		rec.DataKey = w.dataWrap
	}
	if err != nil {
		return nil, err
	}
	if rec.Meta, err = mk.SealMeta(rec.WriteID, w.attrs); err != nil {
		return nil, err
	}
	signed, err := rec.Sign(signer)
	if err != nil {
		return nil, err
	}
	return backend.Meta{
		mVersion: metaV2,
		mHeader:  b64.EncodeToString(w.header),
		mTable:   b64.EncodeToString(w.table),
		mRecord:  b64.EncodeToString(signed),
	}, nil
}

// decodeObject reads what S3 reports about bucket/key from its stored
// metadata. A v2 object is held to its signed record first: signature by
// a trusted signer (unless the service skips signers), name, header and
// table hashes, stored size. No private key is needed when the gateway
// metadata key opens the attributes; otherwise an identity must.
func (s *Service) decodeObject(bucket, key string, bi backend.ObjectInfo) (*storedObject, error) {
	switch bi.Meta[mVersion] {
	case metaMarker:
		return nil, markerError(bi)
	case metaVersion:
		if !s.skipSigner {
			return nil, errUnsigned
		}
		return decodeObjectV1(key, bi)
	case metaV2:
	default:
		return nil, fmt.Errorf("%w (version %q)", errForeignMeta, bi.Meta[mVersion])
	}
	so, err := s.verifyRecord(bucket, key, bi)
	if err != nil {
		return nil, err
	}
	if err := s.openAttrs(so); err != nil {
		return nil, err
	}
	so.info = s3api.ObjectInfo{
		Key:          key,
		Size:         so.rec.Size,
		ETag:         so.attrs[mETag],
		LastModified: lastModifiedOf(so.attrs, bi.ModTime),
		Checksums:    getChecksums(so.attrs),
		ChecksumType: so.attrs[mChecksumType],
		VersionID:    so.attrs[mVersionID],
		Retention:    retentionOf(so.attrs),
		LegalHold:    so.attrs[mLegalHold],
	}
	if so.info.Meta, err = getObjectMeta(so.attrs); err != nil {
		return nil, err
	}
	if so.info.Tags, err = getTags(so.attrs); err != nil {
		return nil, err
	}
	if _, ok := so.attrs[mPartsCount]; ok {
		so.info.PartsCount = len(so.rec.Parts)
		so.partSizes = make([]int64, len(so.rec.Parts))
		for i, p := range so.rec.Parts {
			so.partSizes[i] = p.Size
		}
	} else if len(so.rec.Parts) != 1 {
		return nil, fmt.Errorf("%w: a single-part object with %d parts", envelope.ErrAuth, len(so.rec.Parts))
	}
	return so, nil
}

// verifyRecord reads a format v2 object's header, table and signed
// record and holds them to each other and to bucket/key: the signature by
// a trusted signer (unless the service skips signers), the name, the
// header and table hashes and the stored size. It needs no key.
func (s *Service) verifyRecord(bucket, key string, bi backend.ObjectInfo) (*storedObject, error) {
	so := &storedObject{}
	var err error
	if so.header, err = getBytes(bi.Meta, mHeader); err != nil {
		return nil, err
	}
	if so.table, err = getBytes(bi.Meta, mTable); err != nil {
		return nil, err
	}
	rb, err := getBytes(bi.Meta, mRecord)
	if err != nil {
		return nil, err
	}
	if s.skipSigner {
		so.rec, err = envelope.ParseSignedRecordUnauthenticated(rb)
	} else {
		so.rec, err = envelope.OpenSignedRecord(rb, s.trustedSigners())
	}
	if err != nil {
		return nil, err
	}
	if err := so.rec.Check(bucket, key, so.header, so.table); err != nil {
		return nil, err
	}
	if so.hdr, err = envelope.ParseHeader(so.header); err != nil {
		return nil, err
	}
	sizes, err := so.rec.PartStoredSizes(so.table, so.hdr.SegmentSize())
	if err != nil {
		return nil, err
	}
	if want := sum64(sizes); bi.Size != want {
		return nil, fmt.Errorf("%w: %d bytes stored, the record implies %d", envelope.ErrAuth, bi.Size, want)
	}
	return so, nil
}

// openAttrs opens a record's sealed attributes: with the gateway metadata
// key when the record has a wrapping for it, else with an identity (the
// data key is kept for the read that follows).
func (s *Service) openAttrs(so *storedObject) error {
	var mk *envelope.MetaKey
	var err error
	if s.metaKey != nil && len(so.rec.GatewayKey) > 0 {
		mk, err = so.rec.UnwrapMetaKeyGateway(s.metaKey)
	}
	if mk == nil && so.key != nil {
		mk, err = so.rec.UnwrapMetaKeyData(so.key)
		if err != nil {
			return err
		}
	}
	if mk == nil {
		if len(s.keySet().identities) == 0 {
			if err != nil {
				return err
			}
			return s3api.ErrNoDecryptionKey.WithMessage("This gateway holds neither the metadata key nor a private key for this object.")
		}
		k, uerr := s.unwrapHeader(so.hdr)
		if uerr != nil {
			return uerr
		}
		so.key = k
		if mk, err = so.rec.UnwrapMetaKeyData(k); err != nil {
			return err
		}
	}
	so.mk = mk
	so.attrs, err = mk.OpenMeta(so.rec)
	return err
}

// listInfo is what a listing shows of an object. A v2 record's signature
// is not checked here (a page holds up to 1000 objects; GET and HEAD
// check it); its attributes open only under this gateway's metadata key,
// which also authenticates them. An object whose metadata does not decode
// is listed with its stored size rather than breaking the listing.
func (s *Service) listInfo(bucket string, bi backend.ObjectInfo) s3api.ObjectInfo {
	info := s3api.ObjectInfo{Key: bi.Key, Size: bi.Size, LastModified: bi.ModTime}
	switch bi.Meta[mVersion] {
	case metaVersion:
		return listInfoV1(bi)
	case metaV2:
	default:
		return info
	}
	rb, err := getBytes(bi.Meta, mRecord)
	if err != nil {
		return info
	}
	rec, err := envelope.ParseSignedRecordUnauthenticated(rb)
	if err != nil || rec.Bucket != bucket || rec.Key != bi.Key {
		return info
	}
	info.Size = rec.Size
	if s.metaKey == nil {
		return info
	}
	mk, err := rec.UnwrapMetaKeyGateway(s.metaKey)
	if err != nil {
		return info
	}
	attrs, err := mk.OpenMeta(rec)
	if err != nil {
		return info
	}
	info.ETag = attrs[mETag]
	info.VersionID = attrs[mVersionID]
	info.LastModified = lastModifiedOf(attrs, bi.ModTime)
	info.Checksums = getChecksums(attrs)
	info.ChecksumType = attrs[mChecksumType]
	if _, ok := attrs[mPartsCount]; ok {
		info.PartsCount = len(rec.Parts)
	}
	return info
}

// digestWriter hashes the ciphertext of one part on its way to the backend.
type digestWriter struct {
	w io.Writer
	h hash.Hash
}

func newDigestWriter(w io.Writer) *digestWriter { return &digestWriter{w: w, h: sha256.New()} }

func (d *digestWriter) Write(p []byte) (int, error) {
	d.h.Write(p)
	return d.w.Write(p)
}

func (d *digestWriter) sum() (out [sha256.Size]byte) {
	d.h.Sum(out[:0])
	return out
}

// attrsFor collects the attributes a new object seals.
func attrsFor(etag string, cs s3api.Checksums, om s3api.ObjectMeta) (backend.Meta, error) {
	attrs := backend.Meta{mETag: etag}
	putChecksums(attrs, cs)
	if err := putObjectMeta(attrs, om); err != nil {
		return nil, err
	}
	return attrs, nil
}

// gatewaySealer seals upload and part attributes under the gateway
// metadata key, bound by ad to where they are stored.
func (s *Service) sealAttrs(attrs backend.Meta, ad []byte) (string, error) {
	if s.attrSealer == nil {
		return "", errNoStateKey
	}
	return b64.EncodeToString(s.attrSealer.seal(envelope.EncodeMeta(attrs), ad)), nil
}

var errAttrsOpen = errors.New("gateway: sealed attributes do not open under this gateway's metadata key")

func (s *Service) openAttrsSealed(m backend.Meta, ad []byte) (backend.Meta, error) {
	if s.attrSealer == nil {
		return nil, errNoStateKey
	}
	b, err := getBytes(m, mSealed)
	if err != nil {
		return nil, err
	}
	p, err := s.attrSealer.open(b, ad)
	if err != nil {
		return nil, errAttrsOpen
	}
	return envelope.DecodeMeta(p)
}
