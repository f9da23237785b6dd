package s3

import (
	"context"
	"errors"
	"fmt"
	"time"

	"envelopegw/backend"
)

// Publishing a head is the commit point of every write, and the rule of
// issue 8 holds here as on the posix backend: once a record naming a data
// object may be published, nothing removes that object except a later,
// committed removal of the record. So every failure after the head PUT
// was sent either proves that the head is not published (a failed
// condition, the head seen unchanged) or is reported with errKept, and
// then the caller leaves the data where it is: the sweep removes it a day
// later if no record names it. Two ways a commit used to break the rule:
// a client that hung up after the head landed (the rest of the commit ran
// on its canceled context, could not withdraw the head, and removed its
// data), and an upstream answer lost after the head was stored
// (minio-go's retry then met the head it had written, took it for
// another writer's, "replaced" it and removed its own data).

// errKept marks a failed commit whose head may be published: its data
// must stay.
var errKept = errors.New("the new record may be published, so its data is kept")

// keep wraps err with errKept.
func keep(err error) error { return fmt.Errorf("%w (%w)", err, errKept) }

// swapHead replaces the head of key with next (nil: a tombstone) if every
// cond holds for the current one, as one compare-and-swap upstream;
// unconditional callers retry when another change wins the race. It
// returns the replaced head (if live) and the new version. An error
// wrapping errKept means the new head may be live.
func (b *Backend) swapHead(ctx context.Context, bucket, gen, key string, conds []backend.Cond, check func(cur *head, live bool) error, next func(cur *head) *head) (old *head, version string, err error) {
	name := b.headName(bucket, gen, key)
	delay := 10 * time.Millisecond
	// pending is the head of an attempt whose outcome is unknown (a 5xx,
	// a lost answer), and pendingOld the head that attempt replaces: if
	// it lands after all, a later look sees its unique nonce and takes it
	// as this change's commit, never as another writer's head to replace
	// (which would remove this change's own data). Once there is one,
	// every failure is reported with errKept: that attempt may still land.
	// pendingCond is the condition that attempt was sent with: a look
	// that finds neither its nonce nor the head it was conditioned on
	// cannot tell whether another writer came first or replaced that
	// attempt after it landed (and removed its data), so the change must
	// not be published again.
	var pending, pendingOld *head
	var pendingCond putCond
	var pendingErr error
	fail := func(err error) error {
		if pending != nil {
			return keep(err)
		}
		return err
	}
	for unknown := 0; ; {
		cur, etag, live, err := b.readHead(ctx, bucket, gen, key)
		if errors.Is(err, errDamaged) {
			// The change replaces the damaged head, as a change of an
			// absent key would (its data is left to the sweep).
			err = nil
		}
		switch {
		case err == nil:
		case pending != nil && !answered(err) && unknown < maxUnknown && ctx.Err() == nil:
			// The look after an unknown outcome failed the same way:
			// look again after the backoff, within the same budget.
			unknown++
			if err := sleep(ctx, &delay); err != nil {
				return nil, "", fail(err)
			}
			continue
		default:
			return nil, "", fail(err)
		}
		if pending != nil && live && cur.Nonce == pending.Nonce {
			return pendingOld, etag, nil // an earlier attempt landed
		}
		if pending != nil && condOf(etag) != pendingCond {
			return nil, "", fail(pendingErr) // landed and replaced, or never landed
		}
		if check != nil { // first: a missing key is ErrNoSuchKey, whatever the conds
			if err := check(&cur, live); err != nil {
				return nil, "", fail(err)
			}
		}
		if err := backend.CheckConds(conds, bucket+"/"+key, live, etag); err != nil {
			return nil, "", fail(err)
		}
		pc := condOf(etag)
		var rec any
		n := next(&cur)
		if n != nil {
			rec = n
			if !live { // the key becomes live: index it first
				if err := b.ensureIndex(ctx, bucket, gen, key); err != nil {
					return nil, "", fail(err)
				}
			}
		}
		version, err = b.putRecord(ctx, name, rec, pc, false)
		for err != nil && !errors.Is(err, backend.ErrPrecondition) && !answered(err) && unknown < maxUnknown {
			// The outcome is unknown (a 5xx, a lost answer): send the same
			// conditional PUT again. If the earlier one landed after all,
			// the condition fails and the next look finds its nonce; back
			// to back, the retries cannot fall into step with an
			// upstream's periodic failures either.
			unknown++
			if n != nil {
				pending, pendingOld = n, replaced(cur, live)
				pendingCond, pendingErr = pc, err
			}
			if err := sleep(ctx, &delay); err != nil {
				return nil, "", fail(err)
			}
			version, err = b.putRecord(ctx, name, rec, pc, false)
		}
		switch {
		case err == nil:
			return replaced(cur, live), version, nil
		case errors.Is(err, backend.ErrPrecondition):
			// another change (or an earlier attempt of this one) landed
			// first: look again
		case answered(err):
			return nil, "", fail(err) // the upstream refused it: not stored
		default:
			if landed, v := b.headLanded(ctx, bucket, gen, key, n); landed {
				return replaced(cur, live), v, nil
			}
			if n == nil {
				return nil, "", err // a tombstone names no data
			}
			return nil, "", keep(err)
		}
	}
}

// condOf is the head PUT condition that the current head's etag asks
// for: that head still there, or no head at all.
func condOf(etag string) putCond {
	if etag == "" {
		return "*"
	}
	return putCond(etag)
}

// maxUnknown bounds the attempts of a head change whose outcome is
// unknown (5xx, lost answers), with the backoff of sleep: 1.6 s in
// all, longer than a burst of an upstream's SlowDown answers lasts.
const maxUnknown = 8

// sleep waits the backoff delay, then doubles it (at most 500 ms).
func sleep(ctx context.Context, delay *time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(*delay):
	}
	*delay = min(2**delay, 500*time.Millisecond)
	return nil
}

// answered reports an upstream refusal (4xx): the request was not
// carried out, unlike a lost answer, a timeout or a 5xx.
func answered(err error) bool {
	c := errResponse(err).StatusCode
	return c >= 400 && c < 500
}

func replaced(cur head, live bool) *head {
	if live {
		return &cur
	}
	return nil
}

// headLanded finds out whether a head PUT that failed without an answer
// (a lost connection, a timeout, a canceled request, a 5xx) was stored
// anyway: landed if the current head is n (its nonce is unique). It reads
// with a context of its own: the request's may be what failed.
func (b *Backend) headLanded(ctx context.Context, bucket, gen, key string, n *head) (landed bool, version string) {
	cur, etag, live, err := b.readHead(context.WithoutCancel(ctx), bucket, gen, key)
	if err != nil || n == nil || !live || cur.Nonce != n.Nonce {
		return false, ""
	}
	return true, etag
}

// publish makes h the object at key (the commit point of NewObject, Copy
// and CompleteUpload), confirms the bucket, and removes the replaced
// data. An error wrapping errKept: h may be live, its data must stay.
// A non-nil fence must hold before the head PUT and after it, before
// anything is removed or acknowledged (fence.go).
func (b *Backend) publish(ctx context.Context, bucket, gen string, h *head, conds []backend.Cond, fence func(context.Context) error) (backend.ObjectInfo, error) {
	var check func(*head, bool) error
	if fence != nil {
		check = func(*head, bool) error { return fence(ctx) }
	}
	old, version, err := b.swapHead(ctx, bucket, gen, h.Key, conds, check, func(*head) *head { return h })
	if err != nil {
		return backend.ObjectInfo{}, err
	}
	hook("head-published")
	// Committed: the rest runs to its end even if the client hangs up.
	ctx = context.WithoutCancel(ctx)
	if fence != nil {
		if err := fence(ctx); err != nil {
			return backend.ObjectInfo{}, b.withdraw(ctx, bucket, gen, h.Key, version, old, err)
		}
	}
	if old != nil {
		b.removeExtents(ctx, old.Extents) // its record was replaced for good
	}
	if err := b.confirm(ctx, bucket, gen); err != nil {
		if !errors.Is(err, backend.ErrNoSuchBucket) {
			return backend.ObjectInfo{}, keep(err)
		}
		// The bucket went away under the commit: withdraw the head (only
		// if still ours) so nothing lingers in the old generation. Its
		// data may go only if the withdrawal is stored.
		if _, werr := b.putJSON(ctx, b.headName(bucket, gen, h.Key), nil, putCond(version)); werr != nil {
			return backend.ObjectInfo{}, keep(err)
		}
		return backend.ObjectInfo{}, err
	}
	return h.info(version), nil
}

// headNames reports whether the live head of key names the data object
// name.
func (b *Backend) headNames(ctx context.Context, bucket, gen, key, name string) (bool, error) {
	h, _, live, err := b.readHead(ctx, bucket, gen, key)
	if err != nil || !live {
		return false, err
	}
	for _, e := range h.Extents {
		if e.Name == name {
			return true, nil
		}
	}
	return false, nil
}
