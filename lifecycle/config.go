package lifecycle

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"encoding/xml"
	"fmt"
	"strings"
	"time"
)

// Limits S3 applies to a configuration.
const (
	MaxRules       = 1000
	MaxIDLen       = 255
	MaxPrefixLen   = 1024
	MaxNewerKept   = 100
	Namespace      = "http://s3.amazonaws.com/doc/2006-03-01/"
	StatusEnabled  = "Enabled"
	StatusDisabled = "Disabled"
)

// Configuration is a bucket's lifecycle configuration.
type Configuration struct {
	XMLName xml.Name `xml:"LifecycleConfiguration"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Rules   []Rule   `xml:"Rule"`
}

// Rule is one lifecycle rule. Prefix is the legacy top-level prefix; a
// rule has it or Filter, not both.
type Rule struct {
	ID                             string                `xml:"ID,omitempty"`
	Filter                         *Filter               `xml:"Filter"`
	Prefix                         *string               `xml:"Prefix"`
	Status                         string                `xml:"Status"`
	Expiration                     *Expiration           `xml:"Expiration"`
	NoncurrentVersionExpiration    *NoncurrentExpiration `xml:"NoncurrentVersionExpiration"`
	AbortIncompleteMultipartUpload *AbortIncomplete      `xml:"AbortIncompleteMultipartUpload"`
	Transition                     []struct{}            `xml:"Transition"`
	NoncurrentVersionTransition    []struct{}            `xml:"NoncurrentVersionTransition"`
}

// Filter selects the keys a rule applies to. Only Prefix is supported;
// the other members are parsed to be refused.
type Filter struct {
	Prefix                *string   `xml:"Prefix"`
	Tag                   *struct{} `xml:"Tag"`
	And                   *struct{} `xml:"And"`
	ObjectSizeGreaterThan *int64    `xml:"ObjectSizeGreaterThan"`
	ObjectSizeLessThan    *int64    `xml:"ObjectSizeLessThan"`
}

// Expiration expires current objects: after Days, on Date, or (alone)
// removes delete markers that no longer hide any version.
type Expiration struct {
	Days                      *int    `xml:"Days"`
	Date                      *string `xml:"Date"`
	ExpiredObjectDeleteMarker *bool   `xml:"ExpiredObjectDeleteMarker"`
}

// NoncurrentExpiration removes versions NoncurrentDays after they became
// noncurrent, keeping the NewerNoncurrentVersions newest of them.
type NoncurrentExpiration struct {
	NoncurrentDays          *int `xml:"NoncurrentDays"`
	NewerNoncurrentVersions *int `xml:"NewerNoncurrentVersions"`
}

// AbortIncomplete aborts multipart uploads DaysAfterInitiation after they
// were started.
type AbortIncomplete struct {
	DaysAfterInitiation *int `xml:"DaysAfterInitiation"`
}

// Error is a configuration S3 would refuse, with the S3 error code it
// answers (MalformedXML, InvalidArgument, InvalidRequest, NotImplemented).
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errf(code, format string, a ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, a...)}
}

func malformed() *Error {
	return errf("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema.")
}

// Parse reads and validates a PutBucketLifecycleConfiguration body. Rules
// without an ID get a random one, as S3 gives them.
func Parse(body []byte) (*Configuration, error) {
	var c Configuration
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimSpace(body)))
	if err := d.Decode(&c); err != nil {
		return nil, malformed()
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	for i := range c.Rules {
		if c.Rules[i].ID == "" {
			c.Rules[i].ID = randomID()
		}
	}
	return &c, nil
}

// Validate applies S3's checks; the error is an *Error.
func (c *Configuration) Validate() error {
	if len(c.Rules) == 0 || len(c.Rules) > MaxRules {
		return malformed()
	}
	ids := map[string]bool{}
	for i := range c.Rules {
		r := &c.Rules[i]
		if len(r.ID) > MaxIDLen {
			return errf("InvalidArgument", "ID length should not exceed allowed limit of %d", MaxIDLen)
		}
		if r.ID != "" && ids[r.ID] {
			return errf("InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule")
		}
		ids[r.ID] = true
		if err := r.validate(); err != nil {
			return err
		}
	}
	return nil
}

func (r *Rule) validate() error {
	if r.Status != StatusEnabled && r.Status != StatusDisabled {
		return malformed()
	}
	if (r.Filter == nil) == (r.Prefix == nil) {
		return malformed() // exactly one of Filter and the legacy Prefix
	}
	if f := r.Filter; f != nil {
		if f.Tag != nil || f.And != nil || f.ObjectSizeGreaterThan != nil || f.ObjectSizeLessThan != nil {
			return errf("NotImplemented", "Lifecycle filters by tag or object size are not implemented by this gateway; filter by Prefix.")
		}
	}
	if len(r.KeyPrefix()) > MaxPrefixLen {
		return errf("InvalidArgument", "The prefix is longer than %d bytes", MaxPrefixLen)
	}
	if len(r.Transition)+len(r.NoncurrentVersionTransition) > 0 {
		return errf("NotImplemented", "Lifecycle transitions are not implemented by this gateway: it has one storage class.")
	}
	if r.Expiration == nil && r.NoncurrentVersionExpiration == nil && r.AbortIncompleteMultipartUpload == nil {
		return errf("InvalidRequest", "At least one action needs to be specified in a rule")
	}
	if err := r.Expiration.validate(); err != nil {
		return err
	}
	if n := r.NoncurrentVersionExpiration; n != nil {
		if n.NoncurrentDays == nil {
			return malformed()
		}
		if *n.NoncurrentDays <= 0 {
			return errf("InvalidArgument", "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer")
		}
		if k := n.NewerNoncurrentVersions; k != nil && (*k <= 0 || *k > MaxNewerKept) {
			return errf("InvalidArgument", "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be a positive integer up to %d", MaxNewerKept)
		}
	}
	if a := r.AbortIncompleteMultipartUpload; a != nil {
		if a.DaysAfterInitiation == nil {
			return malformed()
		}
		if *a.DaysAfterInitiation <= 0 {
			return errf("InvalidArgument", "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer")
		}
	}
	return nil
}

func (e *Expiration) validate() error {
	if e == nil {
		return nil
	}
	set := 0
	for _, p := range []bool{e.Days != nil, e.Date != nil, e.ExpiredObjectDeleteMarker != nil} {
		if p {
			set++
		}
	}
	if set != 1 {
		return malformed() // exactly one of Days, Date, ExpiredObjectDeleteMarker
	}
	if e.Days != nil && *e.Days <= 0 {
		return errf("InvalidArgument", "'Days' for Expiration action must be a positive integer")
	}
	if e.Date != nil {
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(*e.Date))
		if err != nil {
			return errf("InvalidArgument", "'Date' must be an ISO 8601 date, such as 2027-01-01T00:00:00.000Z")
		}
		if t = t.UTC(); !t.Equal(t.Truncate(24 * time.Hour)) {
			return errf("InvalidArgument", "'Date' must be at midnight GMT")
		}
	}
	return nil
}

// Marshal is the configuration as S3 returns it from
// GetBucketLifecycleConfiguration (and as the gateway stores it).
func (c *Configuration) Marshal() ([]byte, error) {
	out := *c
	out.Xmlns = Namespace
	b, err := xml.Marshal(&out)
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), b...), nil
}

func randomID() string {
	var b [20]byte
	rand.Read(b[:])
	return strings.TrimRight(base32.StdEncoding.EncodeToString(b[:]), "=")
}
