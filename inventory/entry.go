package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Kinds of change.
const (
	KindPut      = "put"      // a new object written whole (PUT, CopyObject)
	KindComplete = "complete" // a multipart upload completed
	KindSetMeta  = "setmeta"  // a record rewritten in place (tagging, rewrap, copy onto itself)
	KindDelete   = "delete"   // an object removed
)

// Entry is one change to one object.
type Entry struct {
	Kind    string `json:"kind"`
	Pending bool   `json:"pending,omitempty"` // an intent, appended before the commit
	Bucket  string `json:"bucket"`
	Key     string `json:"key"`
	// Version is the S3 version ID, "" for an unversioned object.
	Version string `json:"version,omitempty"`
	// WriteID and RecordHash (hex SHA-256 of the stored signed record)
	// name what the change stored; empty for a delete.
	WriteID    string    `json:"write_id,omitempty"`
	RecordHash string    `json:"record,omitempty"`
	Size       int64     `json:"size"`             // plaintext bytes
	Stored     int64     `json:"stored,omitempty"` // stored bytes, when known
	Time       time.Time `json:"time"`
}

// objectID names the object an entry is about.
func (e *Entry) objectID() string {
	return e.Bucket + "\x00" + e.Key + "\x00" + e.Version
}

func (e *Entry) valid() error {
	switch e.Kind {
	case KindPut, KindComplete, KindSetMeta:
		if e.RecordHash == "" {
			return fmt.Errorf("inventory: %s entry for %s/%s has no record hash", e.Kind, e.Bucket, e.Key)
		}
	case KindDelete:
	default:
		return fmt.Errorf("inventory: unknown entry kind %q", e.Kind)
	}
	if e.Bucket == "" || e.Key == "" {
		return fmt.Errorf("inventory: %s entry without bucket or key", e.Kind)
	}
	return nil
}

// marshal is the entry's record: one line of JSON, without the newline.
func (e *Entry) marshal() ([]byte, error) {
	if err := e.valid(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func parseEntry(line []byte) (Entry, error) {
	var e Entry
	if err := json.Unmarshal(line, &e); err != nil {
		return e, err
	}
	return e, e.valid()
}
