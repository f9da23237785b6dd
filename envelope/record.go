package envelope

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"time"
)

// Object records, format v2 (FORMAT.md "Object records"). A record names
// one stored object and everything a reader must hold it to; the signer's
// signature over its canonical encoding makes a record, and so the object,
// impossible to forge, rename or edit without the signing key.

const (
	recordMagic   = "EGWREC"
	formatV2      = 2
	writeIDSize   = 16
	digestSize    = sha256.Size
	recordPartLen = 8 + digestSize
	// MaxRecordName bounds the bucket and key fields (S3 keys are ≤ 1024 bytes).
	MaxRecordName = 4096
	// maxSealedMeta bounds the sealed metadata (the gateway's metadata
	// limit plus the per-part lists, with room).
	maxSealedMeta = 4 << 20

	labelMetaWrap  = "envelopegw v2 metadata wrap"    // HKDF label of the data key's metadata wrapping key
	labelMetaKeyAD = "envelopegw v2 metadata key"     // AD of a wrapped metadata key
	labelMetaAD    = "envelopegw v2 metadata"         // AD of the metadata, followed by the write ID
	labelMetaGW    = "envelopegw v2 gateway metadata" // HKDF label of a gateway metadata key
	wrappedMetaKey = nonceSize + keySize + tagSize
)

// Record is the decoded object record of format v2.
type Record struct {
	Signer     string // key ID of the signer, hex
	WriteID    [writeIDSize]byte
	Created    time.Time
	Bucket     string
	Key        string
	Size       int64            // plaintext size
	HeaderHash [digestSize]byte // SHA-256 of the stored header
	TableHash  [digestSize]byte // SHA-256 of the stored sealed part table
	Parts      []RecordPart     // in object order
	GatewayKey []byte           // metadata key wrapped under the gateway's metadata key (60 bytes) or empty
	DataKey    []byte           // metadata key wrapped under the data key's metadata wrap key (60 bytes)
	Meta       []byte           // nonce || AES-256-GCM(metadata key, canonical metadata)
}

// RecordPart is one part's entry in a record: the plaintext size and the
// SHA-256 of its stored ciphertext (salt and segments).
type RecordPart struct {
	Size   int64
	Digest [digestSize]byte
}

// NewWriteID draws a unique write ID.
func NewWriteID() ([writeIDSize]byte, error) {
	var id [writeIDSize]byte
	_, err := rand.Read(id[:])
	return id, err
}

// Marshal returns the canonical encoding: the bytes that are signed.
func (r *Record) Marshal() ([]byte, error) {
	if len(r.Bucket) > MaxRecordName || len(r.Key) > MaxRecordName {
		return nil, fmt.Errorf("%w: record name too long", ErrFormat)
	}
	if len(r.Parts) > MaxParts || len(r.Meta) > maxSealedMeta {
		return nil, fmt.Errorf("%w: record too large", ErrFormat)
	}
	if len(r.GatewayKey) != 0 && len(r.GatewayKey) != wrappedMetaKey || len(r.DataKey) != 0 && len(r.DataKey) != wrappedMetaKey {
		return nil, fmt.Errorf("%w: wrapped metadata key of the wrong size", ErrFormat)
	}
	sid, err := decodeKeyID(r.Signer)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 160+len(r.Bucket)+len(r.Key)+len(r.Parts)*recordPartLen+len(r.Meta))
	b = append(b, recordMagic...)
	b = append(b, formatV2, 0)
	b = append(b, sid[:]...)
	b = append(b, r.WriteID[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Created.UnixNano()))
	b = appendBytes16(b, []byte(r.Bucket))
	b = appendBytes16(b, []byte(r.Key))
	b = binary.BigEndian.AppendUint64(b, uint64(r.Size))
	b = append(b, r.HeaderHash[:]...)
	b = append(b, r.TableHash[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(r.Parts)))
	for _, p := range r.Parts {
		b = binary.BigEndian.AppendUint64(b, uint64(p.Size))
		b = append(b, p.Digest[:]...)
	}
	b = appendBytes16(b, r.GatewayKey)
	b = appendBytes16(b, r.DataKey)
	b = binary.BigEndian.AppendUint32(b, uint32(len(r.Meta)))
	return append(b, r.Meta...), nil
}

func appendBytes16(b, v []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
	return append(b, v...)
}

// Sign returns record || signature, the stored form of a signed record.
func (r *Record) Sign(k *SigningKey) ([]byte, error) {
	r.Signer = k.KeyID()
	b, err := r.Marshal()
	if err != nil {
		return nil, err
	}
	sig, err := k.Sign(b)
	if err != nil {
		return nil, err
	}
	return append(b, sig...), nil
}

// OpenSignedRecord parses a stored signed record and verifies its
// signature under the trusted signers before returning it.
func OpenSignedRecord(b []byte, trusted Signers) (*Record, error) {
	if len(b) < SignatureSize {
		return nil, fmt.Errorf("%w: signed record is %d bytes", ErrFormat, len(b))
	}
	msg, sig := b[:len(b)-SignatureSize], b[len(b)-SignatureSize:]
	r, err := ParseRecordUnauthenticated(msg)
	if err != nil {
		return nil, err
	}
	if err := trusted.Verify(r.Signer, msg, sig); err != nil {
		return nil, err
	}
	return r, nil
}

// ParseSignedRecordUnauthenticated parses a signed record without checking
// its signature, for tools that show what a record claims. Nothing it
// returns is to be trusted.
func ParseSignedRecordUnauthenticated(b []byte) (*Record, error) {
	if len(b) < SignatureSize {
		return nil, fmt.Errorf("%w: signed record is %d bytes", ErrFormat, len(b))
	}
	return ParseRecordUnauthenticated(b[:len(b)-SignatureSize])
}

// ParseRecordUnauthenticated decodes a record's canonical encoding.
func ParseRecordUnauthenticated(b []byte) (*Record, error) {
	d := rdecoder{b: b}
	if string(d.take(len(recordMagic))) != recordMagic {
		return nil, fmt.Errorf("%w: not an object record", ErrFormat)
	}
	if v := d.take(2); d.err == nil && (v[0] != formatV2 || v[1] != 0) {
		return nil, fmt.Errorf("%w: record version %d", ErrFormat, v[0])
	}
	r := &Record{Signer: hex.EncodeToString(d.take(keyIDSize))}
	copy(r.WriteID[:], d.take(writeIDSize))
	r.Created = time.Unix(0, int64(d.u64())).UTC()
	r.Bucket = string(d.bytes16(MaxRecordName))
	r.Key = string(d.bytes16(MaxRecordName))
	size := d.u64()
	copy(r.HeaderHash[:], d.take(digestSize))
	copy(r.TableHash[:], d.take(digestSize))
	n := d.u32()
	if d.err == nil && (n > MaxParts || uint64(n)*recordPartLen > uint64(len(d.b))) {
		return nil, fmt.Errorf("%w: record lists %d parts", ErrFormat, n)
	}
	var total uint64
	for i := uint32(0); i < n && d.err == nil; i++ {
		ps := d.u64()
		if ps > MaxPartSize {
			return nil, fmt.Errorf("%w: record part %d size %d", ErrFormat, i+1, ps)
		}
		total += ps
		var p RecordPart
		p.Size = int64(ps)
		copy(p.Digest[:], d.take(digestSize))
		r.Parts = append(r.Parts, p)
	}
	r.GatewayKey = d.bytes16(wrappedMetaKey)
	r.DataKey = d.bytes16(wrappedMetaKey)
	ml := d.u32()
	if d.err == nil && ml > maxSealedMeta {
		return nil, fmt.Errorf("%w: record metadata of %d bytes", ErrFormat, ml)
	}
	r.Meta = bytes.Clone(d.take(int(ml)))
	if d.err != nil {
		return nil, fmt.Errorf("%w: truncated object record", ErrFormat)
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the object record", ErrFormat, len(d.b))
	}
	for _, w := range [][]byte{r.GatewayKey, r.DataKey} {
		if len(w) != 0 && len(w) != wrappedMetaKey {
			return nil, fmt.Errorf("%w: wrapped metadata key is %d bytes", ErrFormat, len(w))
		}
	}
	if total != size {
		return nil, fmt.Errorf("%w: record size %d, parts sum to %d", ErrFormat, size, total)
	}
	r.Size = int64(size)
	return r, nil
}

type rdecoder struct {
	b   []byte
	err error
}

func (d *rdecoder) take(n int) []byte {
	if d.err != nil || n < 0 || n > len(d.b) {
		// Fixed-size fields read zeros after an error; d.err reports it.
		d.err = ErrFormat
		return make([]byte, 64)
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *rdecoder) u64() uint64 { return binary.BigEndian.Uint64(d.take(8)) }
func (d *rdecoder) u32() uint32 { return binary.BigEndian.Uint32(d.take(4)) }

func (d *rdecoder) bytes16(limit int) []byte {
	n := int(binary.BigEndian.Uint16(d.take(2)))
	if n > limit {
		d.err = ErrFormat
		return nil
	}
	return bytes.Clone(d.take(n))
}

// Check holds the record to the object it is read as and to the stored
// header and table bytes. The signature must have been verified first.
func (r *Record) Check(bucket, key string, header, table []byte) error {
	if r.Bucket != bucket || r.Key != key {
		return fmt.Errorf("%w: record names %q/%q, read as %q/%q", ErrAuth, r.Bucket, r.Key, bucket, key)
	}
	if sha256.Sum256(header) != r.HeaderHash {
		return fmt.Errorf("%w: header does not match the signed record", ErrAuth)
	}
	if sha256.Sum256(table) != r.TableHash {
		return fmt.Errorf("%w: part table does not match the signed record", ErrAuth)
	}
	return nil
}

// CheckTable holds an opened part table to the record's part list.
func (r *Record) CheckTable(t *Table) error {
	if len(t.Parts) != len(r.Parts) {
		return fmt.Errorf("%w: part table lists %d parts, the record %d", ErrAuth, len(t.Parts), len(r.Parts))
	}
	for i, p := range t.Parts {
		if p.Size != r.Parts[i].Size {
			return fmt.Errorf("%w: part %d is %d bytes in the table, %d in the record", ErrAuth, i+1, p.Size, r.Parts[i].Size)
		}
	}
	return nil
}

// StoredSize is the number of ciphertext bytes the record's parts occupy.
func (r *Record) StoredSize(segmentSize int) int64 {
	var n int64
	for _, p := range r.Parts {
		n += CiphertextSize(p.Size, segmentSize)
	}
	return n
}

// MetaKey is a per-object metadata key: the user-visible attributes of an
// object (ETag, checksums, content headers, user metadata) are sealed
// under it, and it is wrapped twice, for the gateway and for the data key.
type MetaKey struct{ k [keySize]byte }

// NewMetaKey draws a metadata key.
func NewMetaKey() (*MetaKey, error) {
	m := &MetaKey{}
	_, err := rand.Read(m.k[:])
	return m, err
}

// GatewayMetaKey derives the gateway's metadata wrapping key from a
// 32-byte gateway secret: HKDF(secret, "", "envelopegw v2 gateway metadata", 32).
func GatewayMetaKey(secret []byte) ([]byte, error) {
	if len(secret) != keySize {
		return nil, fmt.Errorf("envelope: gateway secret is %d bytes, want %d", len(secret), keySize)
	}
	return hkdf.Key(sha256.New, secret, nil, labelMetaGW, keySize)
}

// metaWrapKey is the data key's metadata wrapping key.
func (k *Key) metaWrapKey() ([]byte, error) {
	return hkdf.Key(sha256.New, k.data[:], k.headerSalt[:], labelMetaWrap, keySize)
}

func gcm(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func sealRandom(key, plain, ad []byte) ([]byte, error) {
	a, err := gcm(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, nonceSize, nonceSize+len(plain)+tagSize)
	if _, err := rand.Read(out); err != nil {
		return nil, err
	}
	return a.Seal(out, out, plain, ad), nil
}

func openRandom(key, sealed, ad []byte) ([]byte, error) {
	a, err := gcm(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < nonceSize+tagSize {
		return nil, fmt.Errorf("%w: sealed value too short", ErrAuth)
	}
	p, err := a.Open(nil, sealed[:nonceSize], sealed[nonceSize:], ad)
	if err != nil {
		return nil, fmt.Errorf("%w: sealed value does not open", ErrAuth)
	}
	return p, nil
}

// WrapForGateway wraps m under a gateway metadata key (GatewayMetaKey).
func (m *MetaKey) WrapForGateway(gk []byte) ([]byte, error) {
	return sealRandom(gk, m.k[:], []byte(labelMetaKeyAD))
}

// WrapForDataKey wraps m under the data key's metadata wrapping key.
func (m *MetaKey) WrapForDataKey(k *Key) ([]byte, error) {
	wk, err := k.metaWrapKey()
	if err != nil {
		return nil, err
	}
	return sealRandom(wk, m.k[:], []byte(labelMetaKeyAD))
}

func metaKeyFrom(b []byte) *MetaKey {
	m := &MetaKey{}
	copy(m.k[:], b)
	clear(b)
	return m
}

// UnwrapMetaKeyGateway opens the record's gateway-wrapped metadata key.
func (r *Record) UnwrapMetaKeyGateway(gk []byte) (*MetaKey, error) {
	if len(r.GatewayKey) == 0 {
		return nil, fmt.Errorf("%w: record has no gateway metadata key", ErrAuth)
	}
	b, err := openRandom(gk, r.GatewayKey, []byte(labelMetaKeyAD))
	if err != nil {
		return nil, fmt.Errorf("metadata key for the gateway: %w", err)
	}
	return metaKeyFrom(b), nil
}

// UnwrapMetaKeyData opens the record's metadata key with the data key.
func (r *Record) UnwrapMetaKeyData(k *Key) (*MetaKey, error) {
	wk, err := k.metaWrapKey()
	if err != nil {
		return nil, err
	}
	b, err := openRandom(wk, r.DataKey, []byte(labelMetaKeyAD))
	if err != nil {
		return nil, fmt.Errorf("metadata key for the data key: %w", err)
	}
	return metaKeyFrom(b), nil
}

func metaAD(writeID [writeIDSize]byte) []byte {
	return append([]byte(labelMetaAD), writeID[:]...)
}

// SealMeta seals canonical metadata for the record with write ID id.
func (m *MetaKey) SealMeta(id [writeIDSize]byte, meta map[string]string) ([]byte, error) {
	return sealRandom(m.k[:], EncodeMeta(meta), metaAD(id))
}

// OpenMeta opens the record's sealed metadata.
func (m *MetaKey) OpenMeta(r *Record) (map[string]string, error) {
	p, err := openRandom(m.k[:], r.Meta, metaAD(r.WriteID))
	if err != nil {
		return nil, fmt.Errorf("object metadata: %w", err)
	}
	return DecodeMeta(p)
}

// EncodeMeta is the canonical metadata encoding: u32 count, then for each
// name in byte-wise order u16 name length, name, u32 value length, value.
func EncodeMeta(meta map[string]string) []byte {
	names := make([]string, 0, len(meta))
	n := 4
	for k, v := range meta {
		names = append(names, k)
		n += 6 + len(k) + len(v)
	}
	slices.Sort(names)
	b := make([]byte, 0, n)
	b = binary.BigEndian.AppendUint32(b, uint32(len(names)))
	for _, k := range names {
		b = appendBytes16(b, []byte(k))
		b = binary.BigEndian.AppendUint32(b, uint32(len(meta[k])))
		b = append(b, meta[k]...)
	}
	return b
}

// DecodeMeta reverses EncodeMeta, refusing non-canonical input.
func DecodeMeta(b []byte) (map[string]string, error) {
	d := rdecoder{b: b}
	n := d.u32()
	if d.err != nil || uint64(n)*6 > uint64(len(d.b)) {
		return nil, fmt.Errorf("%w: metadata count", ErrFormat)
	}
	out := make(map[string]string, n)
	prev := ""
	for i := uint32(0); i < n && d.err == nil; i++ {
		k := string(d.bytes16(1 << 16))
		v := string(d.take(int(d.u32())))
		if i > 0 && k <= prev {
			return nil, fmt.Errorf("%w: metadata names out of order", ErrFormat)
		}
		prev = k
		out[k] = v
	}
	if d.err != nil || len(d.b) != 0 {
		return nil, fmt.Errorf("%w: metadata encoding", ErrFormat)
	}
	return out, nil
}
