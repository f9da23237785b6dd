package gateway

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"envelopegw/backend"
	"envelopegw/envelope"
)

// RewrapResult is what Rewrap did to one object.
type RewrapResult struct {
	Changed bool     // the header was (or, dry, would be) replaced
	Before  []string // key IDs the object was sealed to
	After   []string // key IDs it is sealed to now (or would be)
}

// maxRewrapRetries bounds the re-reads when a gateway replaces the object
// while it is being rewrapped.
const maxRewrapRetries = 5

// Rewrap re-seals the data key of bucket/key for a new recipient set: the
// current recipients without those whose key IDs are in remove, plus add.
// Only the envelope header in the object's metadata changes; the data
// segments and the sealed part table are not touched (the data key stays
// the same). A multipart object whose parts have their own keys (part
// headers in the stored data) is written anew instead: part headers
// rewrapped, segments copied unchanged (rewrapParts). It needs one of the Service's identities to open the data
// key, and checks the part table before anything changes.
//
// It is idempotent: an object already sealed to exactly the wanted set is
// left alone (Changed false), so a rewrap interrupted anywhere can simply
// run again. It is safe against gateways writing the same key: the new
// metadata is committed only if the object is still the one read
// (backend.SetMeta's precondition, atomic with the commit); if it was
// replaced, the new object is read and rewrapped in its turn. The backend
// replaces the metadata record whole (written, synced, renamed), so no
// copy of the old header is left in the object; the posix backend's
// listing snapshot of its directory goes at once, and the old record
// that a single PUT's file keeps after its data once it became a data
// file is zeroed by the next Sweep.
//
// With dry true nothing is written.
func (s *Service) Rewrap(ctx context.Context, bucket, key string, add []envelope.Recipient, remove []string, dry bool) (RewrapResult, error) {
	for attempt := 0; ; attempt++ {
		res, err := s.rewrapOnce(ctx, bucket, key, add, remove, dry)
		if errors.Is(err, backend.ErrPrecondition) && attempt < maxRewrapRetries {
			continue
		}
		return res, err
	}
}

func (s *Service) rewrapOnce(ctx context.Context, bucket, key string, add []envelope.Recipient, remove []string, dry bool) (RewrapResult, error) {
	var res RewrapResult
	where := rewrapWhere(bucket, key)
	bi, err := s.be.Stat(ctx, bucket, key)
	if err != nil {
		return res, fmt.Errorf("%s: %w", where, err)
	}
	m := bi.Meta
	// A noncurrent version's record names its user key; delete markers
	// and the bucket's configuration hold no data key.
	rk, _, ok := UserKey(key)
	if !ok || IsDeleteMarker(m) {
		return res, nil
	}
	var so *storedObject // format v2: the verified record, re-signed below
	if m[mVersion] == metaV2 {
		// Verified now; its attributes are opened below with the data key
		// (an object already rewrapped may no longer open with ours).
		if so, err = s.verifyRecord(bucket, rk, bi); err != nil {
			return res, fmt.Errorf("%s: %w", where, err)
		}
	} else if err := checkVersion(m); err != nil {
		return res, fmt.Errorf("%s: %w", where, err)
	}
	hb, err := getBytes(m, mHeader)
	if err != nil {
		return res, fmt.Errorf("%s: %w", where, err)
	}
	h, err := envelope.ParseHeader(hb)
	if err != nil {
		return res, fmt.Errorf("%s: %w", where, err)
	}
	res.Before = headerKeyIDs(h)
	res.After = wantedKeyIDs(res.Before, add, remove)
	if len(res.After) == 0 {
		return res, fmt.Errorf("%s: removing %v would leave no recipient", where, remove)
	}
	if slices.Equal(sortedCopy(res.Before), sortedCopy(res.After)) {
		return res, nil
	}
	res.Changed = true
	k, err := h.Unwrap(s.keySet().identities...)
	if err != nil {
		return res, fmt.Errorf("%s: opening the data key (sealed for %v): %w", where, res.Before, err)
	}
	tb, err := getBytes(m, mTable)
	if err != nil {
		return res, fmt.Errorf("%s: %w", where, err)
	}
	tab, err := k.OpenTable(tb)
	if err != nil {
		return res, fmt.Errorf("%s: part table: %w", where, err)
	}

	nh, err := k.Rewrap(h, add, remove)
	if err != nil {
		return res, fmt.Errorf("%s: %w", where, err)
	}
	if dry {
		return res, nil
	}
	nb, err := nh.MarshalBinary()
	if err != nil {
		return res, fmt.Errorf("%s: %w", where, err)
	}
	if tab.PerPartKeys() {
		// Each part's data key is wrapped in the part's own header, inside
		// the stored ciphertext: the part headers are rewrapped too.
		if so == nil {
			return res, fmt.Errorf("%s: %w: a part table of version 2 without a signed record", where, envelope.ErrFormat)
		}
		so.key = k
		if err := s.openAttrs(so); err != nil {
			return res, fmt.Errorf("%s: %w", where, err)
		}
		if err := s.rewrapParts(ctx, bucket, key, bi, so, k, tab, nb, add, remove); err != nil {
			return res, fmt.Errorf("%s: %w", where, err)
		}
		return res, nil
	}
	var meta backend.Meta
	if so != nil {
		so.key = k
		if err := s.openAttrs(so); err != nil {
			return res, fmt.Errorf("%s: %w", where, err)
		}
		if meta, err = s.rewrapRecord(so, nb, bi); err != nil {
			return res, fmt.Errorf("%s: %w", where, err)
		}
	} else {
		meta = m.Clone()
		meta[mHeader] = b64.EncodeToString(nb)
		if _, ok := meta[mLastModified]; !ok {
			// A rewrap is not a write the client made: Last-Modified stays.
			meta[mLastModified] = bi.ModTime.UTC().Format(time.RFC3339Nano)
		}
	}
	if _, err := s.be.SetMeta(ctx, bucket, key, meta, bi.ModTime); err != nil {
		return res, fmt.Errorf("%s: %w", where, err)
	}
	return res, nil
}

func headerKeyIDs(h *envelope.Header) []string {
	var ids []string
	for _, st := range h.Stanzas() {
		ids = append(ids, st.KeyID)
	}
	return ids
}

// wantedKeyIDs is have without remove, plus add, in that order.
func wantedKeyIDs(have []string, add []envelope.Recipient, remove []string) []string {
	var out []string
	for _, id := range have {
		if !slices.Contains(remove, id) {
			out = append(out, id)
		}
	}
	for _, r := range add {
		if !slices.Contains(out, r.KeyID()) {
			out = append(out, r.KeyID())
		}
	}
	return out
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// StaleUploads lists the multipart uploads in progress under bucket/prefix
// ("key (upload ID)") when a rewrap changes recipients (add or remove not
// empty): their parts are sealed, each in its own part header, to the
// recipients of the time they were written. Once they complete (or are
// aborted), running the rewrap again covers them.
func (s *Service) StaleUploads(ctx context.Context, bucket, prefix string, add []envelope.Recipient, remove []string) ([]string, error) {
	var stale []string
	if len(add) == 0 && len(remove) == 0 {
		return nil, nil
	}
	opts := backend.UploadListOptions{Prefix: prefix}
	for {
		page, err := s.be.ListUploads(ctx, bucket, opts)
		if err != nil {
			return stale, fmt.Errorf("listing uploads of %s: %w", bucket, err)
		}
		for _, u := range page.Uploads {
			stale = append(stale, u.Key+" ("+u.UploadID+")")
		}
		if !page.IsTruncated {
			return stale, nil
		}
		opts.KeyMarker, opts.UploadIDMarker = page.NextKeyMarker, page.NextUploadIDMarker
	}
}

// rewrapRecord signs a new record for a format v2 object whose header is
// now nb: the record binds the header's hash, so a rewrap needs the
// signing key. The data key, and so the metadata key's wrapping for it,
// stay the same; Last-Modified stays too.
func (s *Service) rewrapRecord(so *storedObject, nb []byte, bi backend.ObjectInfo) (backend.Meta, error) {
	if s.signer == nil {
		return nil, errors.New("the object is in format v2, whose signed record names its header: rewrap needs the signing key (--signing-key)")
	}
	attrs := so.attrs.Clone()
	if _, ok := attrs[mLastModified]; !ok {
		attrs[mLastModified] = bi.ModTime.UTC().Format(time.RFC3339Nano)
	}
	w := objectWrite{
		bucket: so.rec.Bucket, key: so.rec.Key,
		header: nb, table: so.table,
		parts:    so.rec.Parts,
		attrs:    attrs,
		dataWrap: so.rec.DataKey,
		mk:       so.mk,
		// Offline (no state key): the serving gateways keep opening it.
		gatewayWrap: so.rec.GatewayKey,
	}
	return s.signObject(w)
}
