package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"envelopegw/backend"
	"envelopegw/envelope"
	"envelopegw/s3api"
	"envelopegw/s3api/checksum"
)

// GetObject opens bucket/key. The returned reader's Info comes from
// metadata alone (HEAD and conditional requests need no key); ReadRange
// needs an identity matching one of the object's recipients.
func (s *Service) GetObject(ctx context.Context, bucket, key string) (s3api.ObjectReader, error) {
	o := op{"GetObject", bucket, key, ctx}
	obj, err := s.be.Open(ctx, bucket, key)
	if err != nil {
		return nil, s.fail(o, err)
	}
	so, err := s.decodeObject(bucket, key, obj.Info())
	if err == nil {
		err = s.nameNullVersion(ctx, bucket, so)
	}
	if err != nil {
		obj.Close()
		return nil, s.fail(o, err)
	}
	return &objectReader{s: s, o: o, obj: obj, so: so}, nil
}

// objectReader is an open object. The backend handle keeps the bytes that
// Info describes readable even if the object is replaced meanwhile.
type objectReader struct {
	s   *Service
	o   op
	obj backend.Object
	so  *storedObject

	mu    sync.Mutex
	key   *envelope.Key
	table *envelope.Table
}

func (r *objectReader) Info() *s3api.ObjectInfo { return &r.so.info }

func (r *objectReader) Close() error { return r.obj.Close() }

// ReadRange returns plaintext [off, off+n). Key and table problems are
// reported here, before any byte; a segment failing authentication later
// is an error from Read.
func (r *objectReader) ReadRange(off, n int64) (io.ReadCloser, error) {
	if off < 0 || n < 0 || off+n > r.so.info.Size || off+n < off {
		return nil, s3api.ErrInvalidRange
	}
	key, table, err := r.open()
	if err != nil {
		return nil, err
	}
	// The section reader's Size lets the envelope check the stored size
	// against the part table before the first byte.
	body := io.NewSectionReader(r.obj, 0, r.obj.Info().Size)
	rc, err := key.NewRangeReader(body, table, off, n)
	if err != nil {
		return nil, r.s.fail(r.o, err)
	}
	return &verifyLogger{rc: rc, s: r.s, o: r.o}, nil
}

// verifyLogger reports stored data that fails verification mid-stream to
// the operator log (the client only sees its connection aborted). It keeps
// the envelope reader's WriteTo, which hands out verified batches without
// a copy.
type verifyLogger struct {
	rc     io.ReadCloser
	s      *Service
	o      op
	logged bool
	closed bool
	n      int64 // plaintext bytes released
}

func (v *verifyLogger) Read(p []byte) (int, error) {
	n, err := v.rc.Read(p)
	v.n += int64(n)
	v.check(err)
	return n, err
}

func (v *verifyLogger) WriteTo(w io.Writer) (int64, error) {
	var n int64
	var err error
	if wt, ok := v.rc.(io.WriterTo); ok {
		n, err = wt.WriteTo(w)
	} else {
		n, err = io.Copy(w, struct{ io.Reader }{v.rc})
	}
	v.n += n
	v.check(err)
	return n, err
}

// Close reports the plaintext released (verified bytes only) to the
// crypto observer.
func (v *verifyLogger) Close() error {
	if !v.closed {
		v.closed = true
		v.s.crypto.Decrypted(v.n, nil)
	}
	return v.rc.Close()
}

func (v *verifyLogger) check(err error) {
	if v.logged || err == nil || err == io.EOF {
		return
	}
	if errors.Is(err, envelope.ErrAuth) || errors.Is(err, envelope.ErrFormat) {
		v.logged = true
		v.s.crypto.Decrypted(0, err)
		v.s.log.ErrorContext(v.o.ctx, "stored object failed verification while being read", "op", v.o.name, "bucket", v.o.bucket, "key", v.o.key, "err", err)
	}
}

// open unwraps the data key and authenticates the part table, once per
// opened object. For format v2 the record already vouched for the header
// and table bytes; the table must list exactly the record's parts.
func (r *objectReader) open() (*envelope.Key, *envelope.Table, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.key != nil {
		return r.key, r.table, nil
	}
	m := r.obj.Info().Meta
	var key *envelope.Key
	var err error
	switch {
	case r.so.key != nil:
		key = r.so.key
	case r.so.hdr != nil:
		key, err = r.s.unwrapHeader(r.so.hdr)
	default:
		key, err = r.s.unwrap(r.o, m)
	}
	if err != nil {
		return nil, nil, r.s.fail(r.o, err)
	}
	tb := r.so.table
	if tb == nil {
		if tb, err = getBytes(m, mTable); err != nil {
			return nil, nil, r.s.fail(r.o, err)
		}
	}
	table, err := key.OpenTable(tb)
	if err != nil {
		return nil, nil, r.s.fail(r.o, err)
	}
	if table.Size() != r.so.info.Size {
		return nil, nil, r.s.fail(r.o, fmt.Errorf("%w: part table says %d bytes, metadata %d", envelope.ErrAuth, table.Size(), r.so.info.Size))
	}
	if r.so.rec != nil {
		err = r.so.rec.CheckTable(table)
	} else {
		err = checkPartSizes(table, r.so.partSizes)
	}
	if err != nil {
		return nil, nil, r.s.fail(r.o, err)
	}
	r.key, r.table = key, table
	return key, table, nil
}

// unwrap opens the data key of a format v1 object or an upload whose
// metadata is m with the configured identities.
func (s *Service) unwrap(o op, m backend.Meta) (*envelope.Key, error) {
	hb, err := getBytes(m, mHeader)
	if err != nil {
		return nil, s.fail(o, err)
	}
	h, err := envelope.ParseHeader(hb)
	if err != nil {
		return nil, s.fail(o, err)
	}
	return s.unwrapHeader(h)
}

// unwrapHeader opens h's data key with the configured identities. No
// identity, or none that matches, is s3api.ErrNoDecryptionKey: never
// ciphertext, never a 500.
func (s *Service) unwrapHeader(h *envelope.Header) (*envelope.Key, error) {
	ids := s.keySet().identities
	if len(ids) == 0 {
		return nil, s3api.ErrNoDecryptionKey
	}
	key, err := h.Unwrap(ids...)
	if errors.Is(err, envelope.ErrNoIdentity) {
		return nil, s3api.ErrNoDecryptionKey.WithMessage(
			"None of this gateway's private keys (key IDs %s) can decrypt this object, which is sealed for key IDs %s. Restore with a host that has a matching identity, or with 'envelopegw cat'.",
			identityIDs(ids), stanzaIDs(h))
	}
	return key, err
}

func identityIDs(identities []envelope.Identity) string {
	ids := make([]string, len(identities))
	for i, id := range identities {
		ids[i] = id.KeyID()
	}
	return strings.Join(ids, ", ")
}

func stanzaIDs(h *envelope.Header) string {
	st := h.Stanzas()
	ids := make([]string, len(st))
	for i, x := range st {
		ids[i] = x.KeyID
	}
	return strings.Join(ids, ", ")
}

// errPartNumber is S3's answer to GET ?partNumber= beyond the last part.
var errPartNumber = &s3api.Error{Code: "InvalidPartNumber", Status: http.StatusRequestedRangeNotSatisfiable, Message: "The requested partnumber is not satisfiable."}

// PartRange maps a part number (1-based position in the completed object)
// to its plaintext range. A single-part object has one part, the whole
// object.
func (r *objectReader) PartRange(partNumber int) (off, n int64, err error) {
	if r.so.partSizes == nil {
		if partNumber != 1 {
			return 0, 0, errPartNumber
		}
		return 0, r.so.info.Size, nil
	}
	if partNumber < 1 || partNumber > len(r.so.partSizes) {
		return 0, 0, errPartNumber
	}
	for _, sz := range r.so.partSizes[:partNumber-1] {
		off += sz
	}
	return off, r.so.partSizes[partNumber-1], nil
}

// PartChecksums returns one part's checksum from the stored per-part list,
// or nil when none was kept.
func (r *objectReader) PartChecksums(partNumber int) s3api.Checksums {
	if r.so.partSizes == nil {
		if partNumber == 1 {
			return r.so.info.Checksums
		}
		return nil
	}
	m := r.so.attrs
	for _, alg := range checksum.Algorithms {
		v, ok := m[mPartCkPrefix+alg]
		if !ok {
			continue
		}
		all, err := b64.DecodeString(v)
		size := checksum.Size(alg)
		if err != nil || len(all) != size*len(r.so.partSizes) || partNumber < 1 || partNumber > len(r.so.partSizes) {
			return nil
		}
		d := all[(partNumber-1)*size : partNumber*size]
		return s3api.Checksums{alg: checksum.Encode(d)}
	}
	return nil
}

// checkPartSizes holds the unauthenticated part sizes of the metadata
// (which PartRange and x-amz-mp-parts-count use) to the authenticated part
// table, so that tampered metadata cannot move a ?partNumber= range onto
// other bytes. No sizes means a single-part object.
func checkPartSizes(t *envelope.Table, sizes []int64) error {
	if sizes == nil {
		if len(t.Parts) != 1 {
			return fmt.Errorf("%w: part table lists %d parts, metadata a single-part object", envelope.ErrAuth, len(t.Parts))
		}
		return nil
	}
	if len(t.Parts) != len(sizes) {
		return fmt.Errorf("%w: part table lists %d parts, metadata %d", envelope.ErrAuth, len(t.Parts), len(sizes))
	}
	for i, p := range t.Parts {
		if p.Size != sizes[i] {
			return fmt.Errorf("%w: part %d is %d bytes in the part table, %d in the metadata", envelope.ErrAuth, i+1, p.Size, sizes[i])
		}
	}
	return nil
}
