package s3

import (
	"context"
	"fmt"
)

// A CompleteUpload claims its upload record ("completing") and then
// publishes the object's head; a claim older than staleAge belongs to a
// gateway presumed dead, and an Abort (the janitor's too) or another
// Complete may take it over and remove the parts' data. A presumed-dead
// Complete may only be slow (a stalled upstream, a GC pause), so nothing
// may rest on the age alone. Two rules make a takeover safe whenever the
// stalled Complete wakes up, with no time bound:
//
//   - The Complete fences its head on its claim: it checks that the
//     upload record is still the one its claim wrote before each head
//     PUT, and again after the head landed, before it acknowledges or
//     removes the data of the head it replaced. If the claim was taken
//     over, it puts the replaced head back (a compare-and-swap on its
//     own version: the replaced data is intact) and fails.
//   - A taker (retire) changes the upload record first and reads the
//     key's head after, and never removes data that head names.
//
// So if the Complete's check after its head PUT still found its claim,
// the taker's change came later, and its read of the head sees the head
// and keeps its data; if the taker read the head before the head PUT,
// its change preceded the Complete's check, which then withdraws the
// head before anyone was told it exists. The head of a Complete that
// loses is visible between its PUT and its withdrawal: a reader may see
// it and fail, but no acknowledged byte is lost. Only if that withdrawal
// fails too (the upstream unreachable right then) does the key stay
// listed without its data until it is overwritten or deleted.

// fenceClaim reports whether the upload record at uname is still the
// one this Complete's claim wrote (ETag claim); ErrNoSuchUpload if
// another request took the upload over.
func (b *Backend) fenceClaim(ctx context.Context, uname, claim, bucket, key, id string) error {
	var rec uploadRecord
	etag, _, found, err := b.getJSON(ctx, uname, &rec)
	if err != nil {
		return fmt.Errorf("s3 backend: checking the claim on upload %s: %w", id, err)
	}
	if !found || etag != claim {
		return fmt.Errorf("s3 backend: completing: another request took the upload over: %w", noSuchUpload(bucket, key, id))
	}
	return nil
}

// withdraw puts old (nil: a tombstone) back in place of the head this
// commit published as version, after its fence failed with cause. Its
// data may already be removed, the old head's is not: the old object
// is back as it was. If the withdrawal fails the new head may be live:
// keep(cause).
func (b *Backend) withdraw(ctx context.Context, bucket, gen, key, version string, old *head, cause error) error {
	var rec any // an untyped nil: a tombstone
	if old != nil {
		rec = old
	}
	if _, err := b.putRecord(ctx, b.headName(bucket, gen, key), rec, putCond(version), false); err != nil {
		return keep(fmt.Errorf("%w; withdrawing the head: %w", cause, err))
	}
	return cause
}
