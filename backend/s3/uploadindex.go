package s3

import (
	"context"
	"errors"
	"fmt"

	"envelopegw/backend"
)

// The upload and part indexes, for the reason the key index exists
// (index.go): a listing of records that are rewritten may leave a record
// out while it is rewritten. An upload record is rewritten when a
// Complete claims it (and again when a failing Complete gives it back)
// and when an Abort marks it; a part record each time its part is
// re-sent. So ListUploads and ListParts walk entries that are written
// once and never rewritten, and read the records by GET:
//
//	ui/<bucket>/<gen>/<key name>!<upload id>   upload index entry (empty)
//	pi/<bucket>/<gen>/<upload id>/<nnnnn>       part index entry (empty)
//
// An entry is created before its record and removed after it; an entry
// without a record (a crash in between, a retired upload) is skipped.
// Upload IDs are never reused, so unlike a key's entry no re-creation can
// race with a removal.

func (b *Backend) uploadIndexName(bucket, gen, key, id string) string {
	return b.space("ui", bucket, gen) + keyName(key) + "!" + id
}

func (b *Backend) partIndexName(bucket, gen, id string, n int) string {
	return fmt.Sprintf("%s%s/%05d", b.space("pi", bucket, gen), id, n)
}

// createEntry writes an empty index entry unless one exists.
func (b *Backend) createEntry(ctx context.Context, name string) error {
	_, err := b.putJSON(ctx, name, nil, "*")
	if errors.Is(err, backend.ErrPrecondition) {
		return nil
	}
	return err
}
