package gateway

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"envelopegw/backend"
	"envelopegw/envelope"
	"envelopegw/s3api"
	"envelopegw/s3api/checksum"
)

// Metadata layout. Format v2 objects store only egw ("2"), h, t and r
// (the signed record, see objrecord.go); the object attributes below
// travel sealed inside the record, under the same names. Uploads store
// egw, h, k and m (the upload attributes xa, xt, ct..u, sealed); parts
// egw, s, salt, d (ciphertext SHA-256) and m (e and c.<ALG>, sealed).
// Format v1, read with InsecureSkipSigner only, stored everything in
// clear, as follows.
//
// The gateway stores string attributes (backend.Meta) with every object,
// upload and part. Names are short because a multipart object carries
// per-part lists; they are stable: a new meaning gets a new name or a new
// version. Binary values are standard base64 with padding.
//
// Object (backend object metadata):
//
//	egw       "1", the layout version; objects without it are not ours
//	h         the marshalled envelope header (base64)
//	t         the part table sealed under the data key (base64)
//	s         plaintext size, decimal
//	e         the S3 ETag without quotes: MD5 hex, or "<hex>-N" for multipart
//	c.<ALG>   a checksum as S3 shows it, e.g. c.CRC32 = "base64" or "base64-N"
//	xt        multipart checksum type: COMPOSITE or FULL_OBJECT
//	ct ce cd cl cc ex
//	          Content-Type, -Encoding, -Disposition, -Language, Cache-Control,
//	          Expires (as the client sent them; absent when empty)
//	u         user metadata (x-amz-meta-*), a JSON object name -> value
//	wr        x-amz-website-redirect-location (absent when none)
//	tg        object tags, a JSON array of [key, value] pairs in the order
//	          the client gave them (absent when there are none). Tags are
//	          user metadata: whatever protects u must protect tg alike.
//	lm        the S3 Last-Modified time (RFC 3339, UTC) when it differs from
//	          the backend's ModTime: PutObjectTagging rewrites the metadata,
//	          which moves ModTime, but S3 keeps an object's Last-Modified
//	          when only its tags change
//	np        number of parts, for multipart objects only
//	ps        plaintext part sizes in object order, comma-separated decimal
//	pe        part MD5s in object order, base64 of the concatenated 16-byte
//	          digests (optional: dropped if the metadata would grow too large)
//	pc.<ALG>  part checksums in object order, base64 of the concatenated raw
//	          digests (optional, as pe)
//	ui        the upload ID that made the object, so that a retried
//	          CompleteMultipartUpload can be answered
//
// Upload (backend upload metadata): egw, h, the object keys ct..u, tg, and
//
//	k         the data key sealed under the state key (base64, see statekey.go)
//	xa        checksum algorithm requested at creation ("" = none)
//	xt        checksum type requested or defaulted
//
// Part (backend part metadata): egw, and
//
//	e         MD5 hex of the part's plaintext (the part ETag)
//	s         plaintext size, decimal
//	salt      the part's 16-byte envelope salt (base64)
//	c.<ALG>   the part's checksums, single-object form
const (
	mVersion         = "egw"
	metaVersion      = "1"
	mHeader          = "h"
	mTable           = "t"
	mSize            = "s"
	mETag            = "e"
	mChecksumPrefix  = "c."
	mChecksumType    = "xt"
	mChecksumAlg     = "xa"
	mContentType     = "ct"
	mContentEncoding = "ce"
	mContentDisp     = "cd"
	mContentLanguage = "cl"
	mCacheControl    = "cc"
	mExpires         = "ex"
	mWebsiteRedirect = "wr"
	mUser            = "u"
	mTags            = "tg"
	mLastModified    = "lm"
	mPartsCount      = "np"
	mPartSizes       = "ps"
	mPartMD5s        = "pe"
	mPartCkPrefix    = "pc."
	mUploadID        = "ui"
	mSealedKey       = "k"
	mSalt            = "salt"
)

// optionalMetaBudget bounds the metadata of a multipart object before the
// optional per-part lists are added; backends accept at least 1 MiB.
const optionalMetaBudget = 768 << 10

// errForeignMeta marks stored metadata this gateway did not write or cannot
// understand.
var errForeignMeta = errors.New("gateway: stored metadata is missing or of an unknown layout")

var b64 = base64.StdEncoding

// objectMetaKeys are the names CopyObject replaces under REPLACE.
var objectMetaKeys = []string{mContentType, mContentEncoding, mContentDisp, mContentLanguage, mCacheControl, mExpires, mUser, mWebsiteRedirect}

// uploadObjectKeys are the names CompleteMultipartUpload carries from the
// upload to the object.
var uploadObjectKeys = []string{mContentType, mContentEncoding, mContentDisp, mContentLanguage, mCacheControl, mExpires, mUser, mWebsiteRedirect, mTags, mLockMode, mLockUntil, mLegalHold}

func checkVersion(m backend.Meta) error {
	if v := m[mVersion]; v != metaVersion {
		return fmt.Errorf("%w (version %q)", errForeignMeta, v)
	}
	return nil
}

// putObjectMeta stores the client-visible object attributes of om in m.
func putObjectMeta(m backend.Meta, om s3api.ObjectMeta) error {
	for _, k := range objectMetaKeys {
		delete(m, k)
	}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	set(mContentType, om.ContentType)
	set(mContentEncoding, om.ContentEncoding)
	set(mContentDisp, om.ContentDisposition)
	set(mContentLanguage, om.ContentLanguage)
	set(mCacheControl, om.CacheControl)
	set(mExpires, om.Expires)
	set(mWebsiteRedirect, om.WebsiteRedirect)
	if len(om.User) > 0 {
		b, err := json.Marshal(om.User)
		if err != nil {
			return fmt.Errorf("gateway: encoding user metadata: %w", err)
		}
		m[mUser] = string(b)
	}
	return nil
}

func getObjectMeta(m backend.Meta) (s3api.ObjectMeta, error) {
	om := s3api.ObjectMeta{
		ContentType:        m[mContentType],
		ContentEncoding:    m[mContentEncoding],
		ContentDisposition: m[mContentDisp],
		ContentLanguage:    m[mContentLanguage],
		CacheControl:       m[mCacheControl],
		Expires:            m[mExpires],
		WebsiteRedirect:    m[mWebsiteRedirect],
	}
	if u := m[mUser]; u != "" {
		if err := json.Unmarshal([]byte(u), &om.User); err != nil {
			return om, fmt.Errorf("%w: user metadata: %v", errForeignMeta, err)
		}
	}
	return om, nil
}

func putChecksums(m backend.Meta, cs s3api.Checksums) {
	for alg, v := range cs {
		if checksum.Valid(alg) && v != "" {
			m[mChecksumPrefix+alg] = v
		}
	}
}

func getChecksums(m backend.Meta) s3api.Checksums {
	var cs s3api.Checksums
	for _, alg := range checksum.Algorithms {
		if v, ok := m[mChecksumPrefix+alg]; ok {
			if cs == nil {
				cs = s3api.Checksums{}
			}
			cs[alg] = v
		}
	}
	return cs
}

func getInt(m backend.Meta, k string) (int64, error) {
	v, ok := m[k]
	if !ok {
		return 0, fmt.Errorf("%w: %q missing", errForeignMeta, k)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: %q is not a size", errForeignMeta, k)
	}
	return n, nil
}

func getBytes(m backend.Meta, k string) ([]byte, error) {
	v, ok := m[k]
	if !ok {
		return nil, fmt.Errorf("%w: %q missing", errForeignMeta, k)
	}
	b, err := b64.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not base64", errForeignMeta, k)
	}
	return b, nil
}

// storedObject is a decoded object: what S3 reports, and for format v2
// the verified record and what opened it.
type storedObject struct {
	info      s3api.ObjectInfo
	partSizes []int64 // nil for single-part objects

	rec           *envelope.Record // nil for format v1
	header, table []byte
	hdr           *envelope.Header
	attrs         backend.Meta      // the opened attributes (v1: the metadata itself)
	mk            *envelope.MetaKey // what opened attrs
	key           *envelope.Key     // the data key, when opening attrs needed it
}

// decodeObjectV1 reads what S3 reports about a format v1 object from its
// metadata alone: no key is needed, and nothing is authenticated.
func decodeObjectV1(key string, bi backend.ObjectInfo) (*storedObject, error) {
	m := bi.Meta
	if err := checkVersion(m); err != nil {
		return nil, err
	}
	size, err := getInt(m, mSize)
	if err != nil {
		return nil, err
	}
	om, err := getObjectMeta(m)
	if err != nil {
		return nil, err
	}
	tags, err := getTags(m)
	if err != nil {
		return nil, err
	}
	so := &storedObject{attrs: m, info: s3api.ObjectInfo{
		Key:          key,
		Size:         size,
		ETag:         m[mETag],
		LastModified: lastModified(bi),
		Meta:         om,
		Checksums:    getChecksums(m),
		ChecksumType: m[mChecksumType],
		Tags:         tags,
	}}
	if _, ok := m[mPartsCount]; ok {
		np, err := getInt(m, mPartsCount)
		if err != nil {
			return nil, err
		}
		so.info.PartsCount = int(np)
		so.partSizes, err = decodeSizes(m[mPartSizes])
		if err != nil {
			return nil, err
		}
		if len(so.partSizes) != int(np) {
			return nil, fmt.Errorf("%w: %d part sizes for %d parts", errForeignMeta, len(so.partSizes), np)
		}
	}
	return so, nil
}

// listInfo is what a listing shows of an object, decoded from the few
// names a listing needs (no user metadata, no part sizes: a page holds up
// to 1000 objects). An object with unreadable metadata is still listed,
// with its stored size, rather than breaking the listing.
func listInfoV1(bi backend.ObjectInfo) s3api.ObjectInfo {
	m := bi.Meta
	info := s3api.ObjectInfo{Key: bi.Key, Size: bi.Size, LastModified: bi.ModTime}
	if checkVersion(m) != nil {
		return info
	}
	info.LastModified = lastModified(bi)
	size, err := getInt(m, mSize)
	if err != nil {
		return info
	}
	info.Size = size
	info.ETag = m[mETag]
	info.Checksums = getChecksums(m)
	info.ChecksumType = m[mChecksumType]
	if np, err := getInt(m, mPartsCount); err == nil {
		info.PartsCount = int(np)
	}
	return info
}

func encodeSizes(sizes []int64) string {
	var b strings.Builder
	for i, s := range sizes {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(s, 10))
	}
	return b.String()
}

func decodeSizes(s string) ([]int64, error) {
	if s == "" {
		return nil, fmt.Errorf("%w: part sizes missing", errForeignMeta)
	}
	fields := strings.Split(s, ",")
	out := make([]int64, len(fields))
	for i, f := range fields {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%w: part size %q", errForeignMeta, f)
		}
		out[i] = n
	}
	return out, nil
}

// partMeta is the decoded metadata of one uploaded part.
type partMeta struct {
	md5       []byte
	info      envelope.PartInfo // number, salt, size, part header length and hash
	segSize   int
	digest    [32]byte // SHA-256 of the stored part (its header, salt and segments)
	checksums s3api.Checksums
}

// encodePart is a part's metadata: size, salt, part header length and
// hash and ciphertext digest in clear, its MD5 and checksums sealed under
// the gateway metadata key and bound to the upload, the part number and
// every clear field (partAD).
func (s *Service) encodePart(uploadID string, number int, md5 []byte, info envelope.PartInfo, digest [32]byte, cs s3api.Checksums) (backend.Meta, error) {
	if info.HeaderLen == 0 {
		return nil, errors.New("gateway: a part without its own header")
	}
	attrs := backend.Meta{mETag: hex.EncodeToString(md5)}
	putChecksums(attrs, cs)
	m := backend.Meta{
		mVersion:    metaV2,
		mSize:       strconv.FormatInt(info.Size, 10),
		mSalt:       b64.EncodeToString(info.Salt[:]),
		mDigest:     b64.EncodeToString(digest[:]),
		mHeaderLen:  strconv.Itoa(info.HeaderLen),
		mHeaderHash: b64.EncodeToString(info.HeaderHash[:]),
		mSegSize:    strconv.Itoa(s.segSize),
	}
	sealed, err := s.sealAttrs(attrs, partAD(uploadID, number, m))
	if err != nil {
		return nil, err
	}
	m[mSealed] = sealed
	return m, nil
}

func (s *Service) decodePart(uploadID string, p backend.PartInfo) (*partMeta, error) {
	m := p.Meta
	if v := m[mVersion]; v != metaV2 {
		return nil, fmt.Errorf("%w (part version %q)", errForeignMeta, v)
	}
	attrs, err := s.openAttrsSealed(m, partAD(uploadID, p.Number, m))
	if err != nil {
		return nil, err
	}
	md5, err := hex.DecodeString(attrs[mETag])
	if err != nil || len(md5) != 16 {
		return nil, fmt.Errorf("%w: part ETag", errForeignMeta)
	}
	pm := &partMeta{md5: md5, checksums: getChecksums(attrs)}
	pm.info.Number = p.Number
	if pm.info.Size, err = getInt(m, mSize); err != nil {
		return nil, err
	}
	hl, err := getInt(m, mHeaderLen)
	if err != nil {
		return nil, err
	}
	sg, err := getInt(m, mSegSize)
	if err != nil {
		return nil, err
	}
	if hl <= 0 || hl > 1<<20 || envelope.CheckSegmentSize(int(sg)) != nil {
		return nil, fmt.Errorf("%w: part header length %d, segment size %d", errForeignMeta, hl, sg)
	}
	pm.info.HeaderLen, pm.segSize = int(hl), int(sg)
	for _, f := range []struct {
		name string
		dst  []byte
	}{{mSalt, pm.info.Salt[:]}, {mDigest, pm.digest[:]}, {mHeaderHash, pm.info.HeaderHash[:]}} {
		v, err := getBytes(m, f.name)
		if err != nil {
			return nil, err
		}
		if len(v) != len(f.dst) {
			return nil, fmt.Errorf("%w: part %s of %d bytes", errForeignMeta, f.name, len(v))
		}
		copy(f.dst, v)
	}
	return pm, nil
}
