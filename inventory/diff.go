package inventory

import (
	"slices"
	"sort"
	"strings"
)

// What Diff finds.
const (
	FoundDeleted    = "deleted"     // logged, gone from the volume
	FoundRolledBack = "rolled-back" // on the volume with a record the log superseded
	FoundReplaced   = "replaced"    // on the volume with a record the log never had
	FoundAdded      = "added"       // on the volume, unknown to the log (or logged as deleted)
	// FoundUnlogged is a change the gateway began (its intent is logged)
	// and the volume shows, but whose entry is missing: a crash between
	// the backend commit and the log. It is reported, since only the
	// operator can tell it from a replayed intent.
	FoundUnlogged = "unlogged"
	// FoundRelogged is an entry that logs a record the object had
	// before: appended by someone else to excuse a rollback.
	FoundRelogged = "relogged"
)

// Object is one object as the volume shows it.
type Object struct {
	Bucket, Key, Version string
	RecordHash           string // hex SHA-256 of its signed record, "" if it has none
}

// Finding is one disagreement between the volume and the log.
type Finding struct {
	What                 string
	Bucket, Key, Version string
	Detail               string
}

// Diff holds the volume, given as every object on it through each, to
// the log's latest state and returns every disagreement, sorted by
// bucket and key. buckets, when not nil, limits the comparison to those
// buckets.
func (st *State) Diff(each func(yield func(Object) error) error, buckets []string) ([]Finding, error) {
	var out []Finding
	for _, e := range st.relogged {
		out = append(out, Finding{FoundRelogged, e.Bucket, e.Key, e.Version, "the log names record " + e.RecordHash[:min(16, len(e.RecordHash))] + " a second time, which the gateway never does"})
	}
	seen := make(map[string]bool, len(st.objects))
	err := each(func(ob Object) error {
		id := ob.Bucket + "\x00" + ob.Key + "\x00" + ob.Version
		seen[id] = true
		if f, bad := st.judge(ob, st.objects[id]); bad {
			out = append(out, f)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for id, o := range st.objects {
		if seen[id] || o.last == nil || o.last.Kind == KindDelete {
			continue
		}
		e := o.last
		if buckets != nil && !slices.Contains(buckets, e.Bucket) {
			continue
		}
		f := Finding{FoundDeleted, e.Bucket, e.Key, e.Version, "logged (" + e.Kind + " " + e.Time.Format("2006-01-02T15:04:05Z") + "), missing on the volume"}
		if o.delPend {
			f.What, f.Detail = FoundUnlogged, "a delete the gateway began and never logged"
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Bucket != b.Bucket {
			return a.Bucket < b.Bucket
		}
		if a.Key != b.Key {
			return a.Key < b.Key
		}
		return a.What < b.What
	})
	return out, nil
}

func (st *State) judge(ob Object, o *objectState) (Finding, bool) {
	f := Finding{Bucket: ob.Bucket, Key: ob.Key, Version: ob.Version}
	short := ob.RecordHash
	if len(short) > 16 {
		short = short[:16]
	}
	switch {
	case o != nil && o.last != nil && o.last.Kind != KindDelete && o.last.RecordHash == ob.RecordHash:
		return f, false
	case o != nil && ob.RecordHash != "" && slices.Contains(o.history, ob.RecordHash):
		f.What, f.Detail = FoundRolledBack, "holds record "+short+", which the log superseded"
		if o.last.Kind == KindDelete {
			f.Detail = "holds record " + short + " again after the log deleted it"
		}
	case o != nil && ob.RecordHash != "" && slices.Contains(o.pending, ob.RecordHash):
		f.What, f.Detail = FoundUnlogged, "holds record "+short+", which the gateway began to write and never logged"
	case o == nil || o.last == nil || o.last.Kind == KindDelete:
		f.What, f.Detail = FoundAdded, "not in the log"
		if ob.RecordHash != "" {
			f.Detail += " (record " + short + ")"
		}
	default:
		f.What, f.Detail = FoundReplaced, "holds record "+strings.TrimSpace(short+" ")+", the log has "+o.last.RecordHash[:min(16, len(o.last.RecordHash))]
	}
	return f, true
}
