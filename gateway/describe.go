package gateway

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"envelopegw/envelope"
)

// StoredSummary is what the volume shows of an object without any key:
// nothing here is verified.
type StoredSummary struct {
	Format  string // "2 (signed)", "1 (unsigned)"
	Signer  string // key ID the record names (v2)
	WriteID string
	Created time.Time
	Size    int64
	ETag    string // v1 only: v2 seals it
	ModTime time.Time
	KeyIDs  []string
}

// Describe reads what the volume shows of bucket/key, with no key and no
// verification, for inspect.
func (s *Service) Describe(ctx context.Context, bucket, key string) (StoredSummary, error) {
	bi, err := s.be.Stat(ctx, bucket, key)
	if err != nil {
		return StoredSummary{}, err
	}
	sum := StoredSummary{Size: bi.Size, ModTime: bi.ModTime}
	m := bi.Meta
	if hb, err := getBytes(m, mHeader); err == nil {
		if h, err := envelope.ParseHeader(hb); err == nil {
			sum.KeyIDs = headerKeyIDs(h)
		}
	}
	switch m[mVersion] {
	case metaV2:
		sum.Format = "2 (signed)"
		rb, err := getBytes(m, mRecord)
		if err != nil {
			return sum, err
		}
		rec, err := envelope.ParseSignedRecordUnauthenticated(rb)
		if err != nil {
			return sum, err
		}
		sum.Signer, sum.WriteID, sum.Created, sum.Size = rec.Signer, hex.EncodeToString(rec.WriteID[:]), rec.Created, rec.Size
	case metaVersion:
		sum.Format = "1 (unsigned)"
		sum.ETag = m[mETag]
		if n, err := getInt(m, mSize); err == nil {
			sum.Size = n
		}
	default:
		return sum, fmt.Errorf("%w (version %q)", errForeignMeta, m[mVersion])
	}
	return sum, nil
}
