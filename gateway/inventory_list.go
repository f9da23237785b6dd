package gateway

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"envelopegw/backend"
	"envelopegw/s3api"
)

// Backup is one object as `envelopegw inventory` lists it: what its
// signed record and header say, verified against the trusted signers.
type Backup struct {
	Key       string
	Version   string // S3 version ID; "" unversioned, or a current version listed without the state key
	Latest    bool   // the current version (false: a noncurrent version of a versioned bucket)
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
// backup: the gateway's reserved keys (noncurrent versions, which
// EachBackup describes, and bucket configuration) and delete markers.
func (s *Service) DescribeBackup(bucket string, bi backend.ObjectInfo) (b Backup, ok bool) {
	if strings.HasPrefix(bi.Key, reservedPrefix) || bi.Meta[mVersion] == metaMarker {
		return b, false
	}
	return s.describeVersion(bucket, bi.Key, "", bi), true
}

// describeVersion describes version suffix of key ("" for the current
// version, at key itself). A noncurrent version is verified as key's (the
// name its record was signed for, never the reserved name) and, when the
// sealed attributes open, held to the version ID its name carries
// (checkVersionBinding, as GET ?versionId does).
func (s *Service) describeVersion(bucket, key, suffix string, bi backend.ObjectInfo) Backup {
	b := Backup{Key: key, Stored: bi.Size, Latest: suffix == ""}
	nameVID, named := versionOfSuffix(suffix)
	if !b.Latest && named {
		b.Version = nameVID
	}
	if bi.Meta[mVersion] != metaV2 {
		b.Err = errUnsigned
		return b
	}
	so, err := s.verifyRecord(bucket, key, bi)
	if err != nil {
		b.Err = err
		return b
	}
	b.Size, b.Created, b.Signer = so.rec.Size, so.rec.Created, so.rec.Signer
	b.WriteID = hex.EncodeToString(so.rec.WriteID[:])
	b.KeyIDs = headerKeyIDs(so.hdr)
	// The version ID and the lock are sealed attributes: shown only to a
	// caller that holds the gateway's state key.
	if s.metaKey != nil && s.openAttrs(so) == nil {
		switch {
		case b.Latest || !named:
			b.Version = so.attrs[mVersionID]
		default:
			if err := checkVersionBinding(so, nameVID); err != nil {
				b.Err = err
				return b
			}
		}
		b.Retention = describeLock(so.attrs)
	}
	if !b.Latest && b.Version == "" {
		b.Err = fmt.Errorf("noncurrent version name %q carries no version ID (give the state key to read the sealed one)", suffix)
	}
	return b
}

// versionOfSuffix is the version ID a noncurrent version's name carries:
// the suffix itself, or "null" for the null version's time prefix +
// "null" (see archiveKey). ok is false for a suffix of neither form.
func versionOfSuffix(sfx string) (string, bool) {
	if t, ok := strings.CutSuffix(sfx, nullVersion); ok && len(t) == 16 && validVersionID(t+t) {
		return nullVersion, true
	}
	return sfx, sfx != nullVersion && validVersionID(sfx)
}

// EachBackup calls fn for every version under bucket/prefix, by key and,
// within a key, the current version first and then the noncurrent ones
// newest first; with currentOnly, the current versions only. Delete
// markers and the bucket's configuration are no backups and are skipped.
// The user keys and the noncurrent versions are two listings, merged in
// key order page by page (as ListObjectVersions does), so a bucket of any
// size is never held in memory.
func (s *Service) EachBackup(ctx context.Context, bucket, prefix string, currentOnly bool, fn func(Backup) error) error {
	if strings.HasPrefix(prefix, reservedPrefix) {
		_, err := s.be.HeadBucket(ctx, bucket)
		return err
	}
	cur := &verStream{s: s, ctx: ctx, bucket: bucket, opts: backend.ListOptions{Prefix: prefix, After: afterReserved, MaxKeys: 1000}}
	arch := &verStream{s: s, ctx: ctx, bucket: bucket, archive: true, opts: backend.ListOptions{Prefix: archivePrefix + prefix, MaxKeys: 1000}}
	if currentOnly {
		arch.done = true
	}
	// The last current entry listed. A promotion's duplicate is known by
	// its stored record, the very bytes of the current one: the version
	// IDs in the records may be unreadable here (no state key).
	var curKey, curRecord string
	for {
		it, err := nextVersion(cur, arch)
		if err != nil || it == nil {
			return err
		}
		if rh := RecordHash(it.bi.Meta); it.current {
			curKey, curRecord = it.key, rh
		} else if it.key == curKey && rh == curRecord {
			continue // a promotion's duplicate (versioning_promote.go): current wins
		}
		if IsDeleteMarker(it.bi.Meta) {
			continue
		}
		if err := fn(s.describeVersion(bucket, it.key, it.suffix, it.bi)); err != nil {
			return err
		}
	}
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
