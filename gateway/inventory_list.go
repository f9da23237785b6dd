package gateway

import (
	"encoding/hex"
	"strings"
	"time"

	"envelopegw/backend"
	"envelopegw/s3api"
)

// Backup is one object as `envelopegw inventory` lists it: what its
// signed record and header say, verified against the trusted signers.
type Backup struct {
	Key       string
	Version   string // S3 version ID; "" unversioned, or the state key was not given
	Size      int64  // plaintext
	Stored    int64  // ciphertext on the volume
	Created   time.Time
	Retention string // "" when not locked, or the state key was not given
	Signer    string
	KeyIDs    []string // recipients that can open it
	WriteID   string
	Err       error // the record does not verify (nothing else is set but Key and Stored)
}

// DescribeBackup verifies the record of a listed object (signature by a
// trusted signer, name, header and table hashes, stored size) and
// describes it. It needs no private key. ok is false for what is no
// backup: the gateway's reserved keys (noncurrent versions, bucket
// configuration) and delete markers.
func (s *Service) DescribeBackup(bucket string, bi backend.ObjectInfo) (b Backup, ok bool) {
	if strings.HasPrefix(bi.Key, reservedPrefix) || bi.Meta[mVersion] == metaMarker {
		return b, false
	}
	b = Backup{Key: bi.Key, Stored: bi.Size}
	if bi.Meta[mVersion] != metaV2 {
		b.Err = errUnsigned
		return b, true
	}
	so, err := s.verifyRecord(bucket, bi.Key, bi)
	if err != nil {
		b.Err = err
		return b, true
	}
	b.Size, b.Created, b.Signer = so.rec.Size, so.rec.Created, so.rec.Signer
	b.WriteID = hex.EncodeToString(so.rec.WriteID[:])
	b.KeyIDs = headerKeyIDs(so.hdr)
	// The version ID and the lock are sealed attributes: shown only to a
	// caller that holds the gateway's state key.
	if s.metaKey != nil && s.openAttrs(so) == nil {
		b.Version = so.attrs[mVersionID]
		b.Retention = describeLock(so.attrs)
	}
	return b, true
}

// describeLock says how a version is locked: "COMPLIANCE until <date>",
// with ", legal hold" when one is on; "" when it is not locked.
func describeLock(attrs backend.Meta) string {
	var parts []string
	if r := retentionOf(attrs); r != nil {
		parts = append(parts, r.Mode+" until "+r.Until.UTC().Format(time.RFC3339))
	}
	if attrs[mLegalHold] == s3api.LegalHoldOn {
		parts = append(parts, "legal hold")
	}
	return strings.Join(parts, ", ")
}
