package s3api

import (
	"context"
	"encoding/xml"
	"net/http"
	"strings"
	"time"
)

// ObjectLock is implemented by a Service that keeps S3 Object Lock
// (write-once retention and legal holds on object versions). The handler
// asks for it with a type assertion; without it the Object Lock headers
// and sub-resources answer NotImplemented.
type ObjectLock interface {
	// EnableObjectLock turns Object Lock (and versioning) on for a bucket
	// just created with x-amz-bucket-object-lock-enabled.
	EnableObjectLock(ctx context.Context, bucket string) error
	// GetObjectLockConfiguration: ErrObjectLockConfigurationNotFound when
	// the bucket has no Object Lock.
	GetObjectLockConfiguration(ctx context.Context, bucket string) (*LockConfiguration, error)
	PutObjectLockConfiguration(ctx context.Context, bucket string, cfg *LockConfiguration) error
	// GetObjectRetention and GetObjectLegalHold read a version's (vid ""
	// is the current one) retention and hold.
	GetObjectRetention(ctx context.Context, bucket, key, vid string) (*Retention, error)
	// PutObjectRetention sets a version's retention; bypass is an
	// authorized x-amz-bypass-governance-retention.
	PutObjectRetention(ctx context.Context, bucket, key, vid string, r *Retention, bypass bool) (string, error)
	GetObjectLegalHold(ctx context.Context, bucket, key, vid string) (string, error)
	PutObjectLegalHold(ctx context.Context, bucket, key, vid string, status string) (string, error)
}

// Object Lock retention modes and legal hold states, as S3 spells them.
const (
	LockGovernance = "GOVERNANCE"
	LockCompliance = "COMPLIANCE"
	LegalHoldOn    = "ON"
	LegalHoldOff   = "OFF"
)

// LockConfiguration is a bucket's Object Lock configuration: always
// enabled, with an optional default retention (Days or Years).
type LockConfiguration struct {
	Mode        string // "" for no default retention
	Days, Years int
}

// Retention is one version's retention: a mode and the date until which
// the version cannot be deleted or overwritten.
type Retention struct {
	Mode  string
	Until time.Time
}

// ObjectLockWrite is what a PUT or CreateMultipartUpload asks for with
// the x-amz-object-lock-* headers.
type ObjectLockWrite struct {
	Retention *Retention // nil: the bucket's default, if any
	LegalHold string     // "", ON or OFF
}

// Errors of Object Lock.
var (
	ErrObjectLockConfigurationNotFound = newErr("ObjectLockConfigurationNotFoundError", http.StatusNotFound, "Object Lock configuration does not exist for this bucket")
	// ErrObjectLocked refuses the deletion of a protected version.
	ErrObjectLocked                  = newErr("AccessDenied", http.StatusForbidden, "Access Denied because object protected by object lock.")
	ErrNoSuchObjectLockConfiguration = newErr("NoSuchObjectLockConfiguration", http.StatusNotFound, "The specified object does not have a ObjectLock configuration")
)

func (rq *request) objectLock() ObjectLock {
	v, _ := rq.h.svc.(ObjectLock)
	return v
}

// lockHeadersAllowed: the x-amz-object-lock-* headers mean something on
// PutObject, CopyObject and CreateMultipartUpload when the Service keeps
// locks.
func (rq *request) lockHeadersAllowed() bool {
	return rq.objectLock() != nil && (rq.op == OpPutObject || rq.op == OpPostObject || rq.op == OpCopyObject || rq.op == OpCreateMultipartUpload)
}

// bypassGovernance reads x-amz-bypass-governance-retention: it counts only
// for a user allowed s3:BypassGovernanceRetention (IAM semantics; s3:*
// includes it).
func (rq *request) bypassGovernance() bool {
	if !strings.EqualFold(rq.r.Header.Get("x-amz-bypass-governance-retention"), "true") {
		return false
	}
	return rq.allowedExtra("s3:BypassGovernanceRetention", rq.bucket, rq.key)
}

// lockWrite reads a write's x-amz-object-lock-* headers and checks that
// the user may set what they ask for (as in AWS: s3:PutObjectRetention,
// s3:PutObjectLegalHold); a bucket's default retention needs neither.
func (rq *request) lockWrite() (*ObjectLockWrite, error) {
	w, err := parseLockHeaders(rq.r.Header, rq.h.now())
	if err != nil || w == nil {
		return w, err
	}
	if w.Retention != nil && !rq.allowedExtra("s3:PutObjectRetention", rq.bucket, rq.key) {
		return nil, ErrAccessDenied
	}
	if w.LegalHold != "" && !rq.allowedExtra("s3:PutObjectLegalHold", rq.bucket, rq.key) {
		return nil, ErrAccessDenied
	}
	return w, nil
}

// parseLockHeaders reads the x-amz-object-lock-* headers of a write. A
// retain-until date that does not parse or is not after now is refused
// here, before the bucket is looked at, naming the header as S3 does.
func parseLockHeaders(h http.Header, now time.Time) (*ObjectLockWrite, error) {
	mode, until, hold := h.Get("x-amz-object-lock-mode"), h.Get("x-amz-object-lock-retain-until-date"), h.Get("x-amz-object-lock-legal-hold")
	if mode == "" && until == "" && hold == "" {
		return nil, nil
	}
	w := &ObjectLockWrite{}
	if (mode == "") != (until == "") {
		return nil, ErrInvalidArgument.WithMessage("x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied")
	}
	if mode != "" {
		r, err := parseRetention(mode, until)
		if err == errRetainUntilFormat { // the very value: errors.Is matches any InvalidArgument
			return nil, errRetainUntilFormat.WithFields("ArgumentName", "x-amz-object-lock-retain-until-date", "ArgumentValue", until)
		}
		if err != nil {
			return nil, err
		}
		if !r.Until.After(now) {
			return nil, ErrInvalidArgument.WithMessage("The retain until date must be in the future!").
				WithFields("ArgumentName", "x-amz-object-lock-retain-until-date", "ArgumentValue", until)
		}
		w.Retention = r
	}
	switch hold {
	case "", LegalHoldOn, LegalHoldOff:
		w.LegalHold = hold
	default:
		return nil, ErrInvalidArgument.WithMessage("Legal Hold must be either of 'ON' or 'OFF'")
	}
	return w, nil
}

// errRetainUntilFormat refuses a retain-until date that is not RFC 3339;
// for the header, S3 names it in ArgumentName and ArgumentValue.
var errRetainUntilFormat = ErrInvalidArgument.WithMessage("The retain until date must be provided in ISO 8601 format")

func parseRetention(mode, until string) (*Retention, error) {
	if mode != LockGovernance && mode != LockCompliance {
		return nil, ErrInvalidArgument.WithMessage("Unknown wormMode directive.")
	}
	t, err := time.Parse(time.RFC3339, until)
	if err != nil {
		return nil, errRetainUntilFormat
	}
	return &Retention{Mode: mode, Until: t.UTC()}, nil
}

type objectLockConfigurationXML struct {
	XMLName           xml.Name     `xml:"ObjectLockConfiguration"`
	Xmlns             string       `xml:"xmlns,attr,omitempty"`
	ObjectLockEnabled string       `xml:"ObjectLockEnabled,omitempty"`
	Rule              *lockRuleXML `xml:"Rule,omitempty"`
}

type lockRuleXML struct {
	DefaultRetention *defaultRetentionXML
}

type defaultRetentionXML struct {
	Mode  string `xml:"Mode,omitempty"`
	Days  *int   `xml:"Days,omitempty"`
	Years *int   `xml:"Years,omitempty"`
}

type retentionXML struct {
	XMLName         xml.Name `xml:"Retention"`
	Xmlns           string   `xml:"xmlns,attr,omitempty"`
	Mode            string   `xml:"Mode,omitempty"`
	RetainUntilDate string   `xml:"RetainUntilDate,omitempty"`
}

type legalHoldXML struct {
	XMLName xml.Name `xml:"LegalHold"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Status  string   `xml:"Status"`
}

// readSmallXML reads and strictly decodes a small configuration body; an
// empty one is MalformedXML.
func (rq *request) readSmallXML(what string, v any) error {
	return rq.decodeSmallXML(rq.readDocument, what, v)
}

// readRequiredXML is readSmallXML for a document S3 requires: an empty
// body is MissingRequestBodyError.
func (rq *request) readRequiredXML(what string, v any) error {
	return rq.decodeSmallXML(rq.requiredDocument, what, v)
}

func (rq *request) decodeSmallXML(read func(string, int64, *Error) ([]byte, error), what string, v any) error {
	data, err := read(what, maxSmallXML, ErrMalformedXML.WithMessage("The %s is larger than %d bytes.", what, maxSmallXML))
	if err != nil {
		return err
	}
	return decodeStrict(data, v)
}

func (rq *request) lockService() (ObjectLock, error) {
	l := rq.objectLock()
	if l == nil {
		return nil, ErrNotImplemented.WithMessage("Object Lock is not implemented by this gateway's object service.")
	}
	return l, nil
}

// getObjectLockConfiguration answers GET /bucket?object-lock.
func (rq *request) getObjectLockConfiguration() error {
	l, err := rq.lockService()
	if err != nil {
		return err
	}
	cfg, err := l.GetObjectLockConfiguration(rq.r.Context(), rq.bucket)
	if err != nil {
		return err
	}
	res := objectLockConfigurationXML{Xmlns: s3Namespace, ObjectLockEnabled: "Enabled"}
	if cfg.Mode != "" {
		res.Rule = &lockRuleXML{DefaultRetention: &defaultRetentionXML{Mode: cfg.Mode}}
		if cfg.Days > 0 {
			res.Rule.DefaultRetention.Days = &cfg.Days
		} else {
			res.Rule.DefaultRetention.Years = &cfg.Years
		}
	}
	rq.writeXML(http.StatusOK, &res)
	return nil
}

// putObjectLockConfiguration answers PUT /bucket?object-lock.
func (rq *request) putObjectLockConfiguration() error {
	l, err := rq.lockService()
	if err != nil {
		return err
	}
	var in objectLockConfigurationXML
	if err := rq.readRequiredXML("ObjectLockConfiguration", &in); err != nil {
		return rq.noBucketFirst(err)
	}
	cfg, err := parseLockConfiguration(&in)
	if err != nil {
		return rq.noBucketFirst(err)
	}
	if err := l.PutObjectLockConfiguration(rq.r.Context(), rq.bucket, cfg); err != nil {
		return err
	}
	rq.noContent(http.StatusOK)
	return nil
}

// versionParam is the request's versionId ("" for none), checked.
func (rq *request) versionParam() (string, error) {
	if !rq.q.Has("versionId") {
		return "", nil
	}
	v := rq.q.Get("versionId")
	return v, checkVersionSyntax(v)
}

// lockTarget is what every per-version lock call starts with: the
// Service's Object Lock and the versionId the request names.
func (rq *request) lockTarget() (ObjectLock, string, error) {
	l, err := rq.lockService()
	if err != nil {
		return nil, "", err
	}
	vid, err := rq.versionParam()
	return l, vid, err
}

// getObjectRetention answers GET /bucket/key?retention.
func (rq *request) getObjectRetention() error {
	l, vid, err := rq.lockTarget()
	if err != nil {
		return err
	}
	r, err := l.GetObjectRetention(rq.r.Context(), rq.bucket, rq.key, vid)
	if err != nil {
		return err
	}
	rq.writeXML(http.StatusOK, &retentionXML{Xmlns: s3Namespace, Mode: r.Mode, RetainUntilDate: r.Until.UTC().Format("2006-01-02T15:04:05.000Z")})
	return nil
}

// putObjectRetention answers PUT /bucket/key?retention.
func (rq *request) putObjectRetention() error {
	l, vid, err := rq.lockTarget()
	if err != nil {
		return err
	}
	var in retentionXML
	if err := rq.readSmallXML("Retention", &in); err != nil {
		return rq.noBucketFirst(err)
	}
	var r *Retention
	if in.Mode != "" || in.RetainUntilDate != "" {
		if in.Mode != LockGovernance && in.Mode != LockCompliance {
			// The body's Mode is checked against S3's schema: an
			// unknown value is MalformedXML there (the header's is
			// InvalidArgument).
			return rq.noBucketFirst(ErrMalformedXML)
		}
		if r, err = parseRetention(in.Mode, in.RetainUntilDate); err != nil {
			return err
		}
	}
	got, err := l.PutObjectRetention(rq.r.Context(), rq.bucket, rq.key, vid, r, rq.bypassGovernance())
	if err != nil {
		return err
	}
	rq.setVersionHeader(got)
	rq.noContent(http.StatusOK)
	return nil
}

// getObjectLegalHold answers GET /bucket/key?legal-hold.
func (rq *request) getObjectLegalHold() error {
	l, vid, err := rq.lockTarget()
	if err != nil {
		return err
	}
	st, err := l.GetObjectLegalHold(rq.r.Context(), rq.bucket, rq.key, vid)
	if err != nil {
		return err
	}
	rq.writeXML(http.StatusOK, &legalHoldXML{Xmlns: s3Namespace, Status: st})
	return nil
}

// putObjectLegalHold answers PUT /bucket/key?legal-hold.
func (rq *request) putObjectLegalHold() error {
	l, vid, err := rq.lockTarget()
	if err != nil {
		return err
	}
	var in legalHoldXML
	if err := rq.readSmallXML("LegalHold", &in); err != nil {
		return rq.noBucketFirst(err)
	}
	if in.Status != LegalHoldOn && in.Status != LegalHoldOff {
		return rq.noBucketFirst(ErrMalformedXML.WithMessage("The LegalHold Status must be ON or OFF."))
	}
	got, err := l.PutObjectLegalHold(rq.r.Context(), rq.bucket, rq.key, vid, in.Status)
	if err != nil {
		return err
	}
	rq.setVersionHeader(got)
	rq.noContent(http.StatusOK)
	return nil
}

// parseLockConfiguration checks a PutObjectLockConfiguration body.
func parseLockConfiguration(in *objectLockConfigurationXML) (*LockConfiguration, error) {
	if in.ObjectLockEnabled != "Enabled" {
		return nil, ErrMalformedXML.WithMessage("ObjectLockEnabled must be Enabled.")
	}
	cfg := &LockConfiguration{}
	if in.Rule != nil {
		d := in.Rule.DefaultRetention
		if d == nil {
			return nil, ErrMalformedXML.WithMessage("A Rule must hold a DefaultRetention.")
		}
		if d.Mode != LockGovernance && d.Mode != LockCompliance {
			return nil, ErrMalformedXML.WithMessage("The DefaultRetention Mode must be GOVERNANCE or COMPLIANCE.")
		}
		switch {
		case (d.Days == nil) == (d.Years == nil):
			return nil, ErrMalformedXML.WithMessage("A DefaultRetention names either Days or Years.")
		case d.Days != nil:
			if err := checkRetentionPeriod("Days", *d.Days, 36500); err != nil {
				return nil, err
			}
		default:
			if err := checkRetentionPeriod("Years", *d.Years, 100); err != nil {
				return nil, err
			}
		}
		cfg.Mode = d.Mode
		if d.Days != nil {
			cfg.Days = *d.Days
		} else {
			cfg.Years = *d.Years
		}
	}
	return cfg, nil
}

// checkRetentionPeriod checks a default retention's Days or Years: S3
// allows 1 to 100 years (36500 days) and names the element it refuses.
func checkRetentionPeriod(name string, v, max int) error {
	switch {
	case v <= 0:
		return ErrInvalidArgument.WithMessage("Default retention period must be a positive integer value.").WithField("ArgumentName", name)
	case v > max:
		return ErrInvalidArgument.WithMessage("Default retention period too large.").WithField("ArgumentName", name)
	}
	return nil
}
