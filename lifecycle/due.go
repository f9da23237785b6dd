package lifecycle

import (
	"strings"
	"time"
)

const day = 24 * time.Hour

// KeyPrefix is the prefix the rule applies to ("" for every key).
func (r *Rule) KeyPrefix() string {
	switch {
	case r.Filter != nil && r.Filter.Prefix != nil:
		return *r.Filter.Prefix
	case r.Prefix != nil:
		return *r.Prefix
	}
	return ""
}

// applies reports an enabled rule whose prefix key has.
func (r *Rule) applies(key string) bool {
	return r.Status == StatusEnabled && strings.HasPrefix(key, r.KeyPrefix())
}

// after is t plus days, rounded up to the next midnight UTC (S3's rule).
func after(t time.Time, days int) time.Time {
	d := t.UTC().Add(time.Duration(days) * day)
	m := d.Truncate(day)
	if m.Before(d) {
		m = m.Add(day)
	}
	return m
}

// ObjectDue reports whether the current version of key, created at
// created, has expired at now under an Expiration rule (Days or Date),
// and by which rule.
func (c *Configuration) ObjectDue(key string, created, now time.Time) (ruleID string, due bool) {
	for i := range c.Rules {
		r := &c.Rules[i]
		e := r.Expiration
		if e == nil || !r.applies(key) {
			continue
		}
		var at time.Time
		switch {
		case e.Days != nil:
			at = after(created, *e.Days)
		case e.Date != nil:
			t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(*e.Date))
			if err != nil {
				continue
			}
			at = t
		default:
			continue
		}
		if !now.Before(at) {
			return r.ID, true
		}
	}
	return "", false
}

// MarkerDue reports whether a delete marker of key that is the only
// version left should be removed (ExpiredObjectDeleteMarker).
func (c *Configuration) MarkerDue(key string) (ruleID string, due bool) {
	for i := range c.Rules {
		r := &c.Rules[i]
		if e := r.Expiration; e != nil && e.ExpiredObjectDeleteMarker != nil && *e.ExpiredObjectDeleteMarker && r.applies(key) {
			return r.ID, true
		}
	}
	return "", false
}

// NoncurrentDue reports whether a noncurrent version of key is due: it
// became noncurrent at since, and newer noncurrent versions of the key
// exist (0 for the newest).
func (c *Configuration) NoncurrentDue(key string, since time.Time, newer int, now time.Time) (ruleID string, due bool) {
	for i := range c.Rules {
		r := &c.Rules[i]
		n := r.NoncurrentVersionExpiration
		if n == nil || n.NoncurrentDays == nil || !r.applies(key) {
			continue
		}
		if n.NewerNoncurrentVersions != nil && newer < *n.NewerNoncurrentVersions {
			continue
		}
		if !now.Before(after(since, *n.NoncurrentDays)) {
			return r.ID, true
		}
	}
	return "", false
}

// UploadDue reports whether a multipart upload of key, initiated at
// initiated, should be aborted at now.
func (c *Configuration) UploadDue(key string, initiated, now time.Time) (ruleID string, due bool) {
	for i := range c.Rules {
		r := &c.Rules[i]
		a := r.AbortIncompleteMultipartUpload
		if a == nil || a.DaysAfterInitiation == nil || !r.applies(key) {
			continue
		}
		if !now.Before(after(initiated, *a.DaysAfterInitiation)) {
			return r.ID, true
		}
	}
	return "", false
}

// HasUploadRules reports whether any enabled rule aborts uploads.
func (c *Configuration) HasUploadRules() bool {
	for _, r := range c.Rules {
		if r.Status == StatusEnabled && r.AbortIncompleteMultipartUpload != nil {
			return true
		}
	}
	return false
}
