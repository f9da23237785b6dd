package gateway

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"sort"
	"strconv"

	"envelopegw/backend"
	"envelopegw/envelope"
	"envelopegw/s3api"
)

// Multipart uploads keep no data key (FORMAT.md, "Multipart uploads"):
// each part is written under a key of its own, wrapped to the bucket's
// recipients in a part header at the start of the part's stored body, and
// forgotten once the part is written. Complete lists the parts (number,
// salt, size, part header length and SHA-256) in a version 2 part table,
// MACed under a fresh object header's data key and bound, with every
// part's ciphertext digest, by the signed record. An ingest host thus
// holds nothing that decrypts a part, in progress or completed.
const (
	mPartKeys    = "pk" // upload: "1" when its parts have their own keys
	partKeysV1   = "1"
	mUploadNonce = "un" // upload: random, binds its sealed attributes to it
	mHeaderLen   = "hl" // part: length of its part header
	mHeaderHash  = "hh" // part: SHA-256 of its part header
	mSegSize     = "sg" // part: its segment size
)

// errOldUpload refuses an upload started by an earlier version, which kept
// the upload's data key sealed under the state key: it can still be
// aborted (or left to the janitor), not continued.
var errOldUpload = s3api.ErrInvalidRequest.WithMessage("This multipart upload was started by an earlier gateway version that kept its data key under the state key; abort it and upload again.")

// encryptSealedPart streams body into w as a part with its own data key,
// wrapped to bucket's recipients.
func (s *Service) encryptSealedPart(o op, w io.Writer, bucket string, number int, body s3api.Body, size int64) (envelope.PartInfo, error) {
	recipients := s.recipientsFor(bucket)
	if len(recipients) == 0 {
		return envelope.PartInfo{}, errNoRecipient
	}
	pw, err := envelope.NewSealedPart(w, recipients, &envelope.Options{SegmentSize: s.segSize}, number)
	if err != nil {
		return envelope.PartInfo{}, s.fail(o, err)
	}
	return s.encryptWith(o, pw, body, size)
}

// uploadAttrAD binds an upload's sealed attributes to its bucket, key and
// random nonce, so that they cannot be moved to another upload.
func uploadAttrAD(bucket, key string, nonce []byte) []byte {
	const label = "envelopegw v2 sealed-part upload attributes"
	ad := make([]byte, 0, len(label)+12+len(bucket)+len(key)+len(nonce))
	ad = append(ad, label...)
	ad = binary.BigEndian.AppendUint32(ad, uint32(len(bucket)))
	ad = append(ad, bucket...)
	ad = binary.BigEndian.AppendUint32(ad, uint32(len(key)))
	ad = append(ad, key...)
	return append(ad, nonce...)
}

// partAD binds a part's sealed attributes to its upload, its number and
// every clear field stored beside them (size, salt, part header length and
// hash, ciphertext digest): a part's files moved to another upload or part
// number, or its clear fields edited, no longer open, so Complete signs
// only parts this gateway wrote where they were written.
func partAD(uploadID string, number int, m backend.Meta) []byte {
	names := []string{mDigest, mHeaderHash, mHeaderLen, mSalt, mSegSize, mSize, mVersion}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		v := m[n]
		var l [4]byte
		binary.BigEndian.PutUint32(l[:], uint32(len(n)))
		h.Write(l[:])
		h.Write([]byte(n))
		binary.BigEndian.PutUint32(l[:], uint32(len(v)))
		h.Write(l[:])
		h.Write([]byte(v))
	}
	return append([]byte("envelopegw v2 sealed part "+uploadID+" "+strconv.Itoa(number)+" "), hex.EncodeToString(h.Sum(nil))...)
}
