package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"envelopegw/backend"
	"envelopegw/envelope"
	"envelopegw/logctx"
	"envelopegw/s3api"
)

// DefaultUploadMaxAge is how long an unfinished multipart upload lives when
// Config.UploadMaxAge is zero.
const DefaultUploadMaxAge = 7 * 24 * time.Hour

// S3 size limits the gateway enforces.
const (
	maxPutSize  = 5 << 30 // a single PutObject or part
	minPartSize = 5 << 20 // every part of a multipart object but the last
	maxParts    = 10000
)

// Config configures a Service.
type Config struct {
	// Backend stores ciphertext and metadata. Required.
	Backend backend.Backend
	// Recipients receive a wrapped copy of every new object's data key.
	// When empty, the recipients of Identities are used; with neither, the
	// service is read-only (as `envelopegw cat` uses it).
	Recipients []envelope.Recipient
	// Keyring, when set, chooses the recipients of new objects per bucket;
	// buckets it has no entry for use Recipients.
	Keyring Keyring
	// Identities decrypt objects. With none the service is ingest-only:
	// reads answer s3api.ErrNoDecryptionKey.
	Identities []envelope.Identity
	// StateKey is the 32-byte gateway secret: it seals object metadata
	// (ETag, checksums, user metadata) and multipart upload and part
	// attributes, never a data key. Every process sharing a volume must
	// use the same key. Nil disables multipart uploads.
	StateKey []byte
	// SegmentSize is the envelope's plaintext segment size; 0 is the
	// envelope default.
	SegmentSize int
	// Logger receives operational logs; nil discards them. Lines about a
	// request are logged with its context, so a logctx handler (installed
	// here) adds its request ID.
	Logger *slog.Logger
	// UploadMaxAge is the age after which RunJanitor aborts an unfinished
	// multipart upload; 0 means DefaultUploadMaxAge, negative never.
	UploadMaxAge time.Duration
	// JanitorDone, when set, is told after every RunJanitor pass how many
	// uploads it aborted and the pass's error (metrics).
	JanitorDone func(aborted int, err error)
	// LifecycleDone, when set, is told after every lifecycle pass what it
	// did (metrics).
	LifecycleDone func(expired, aborted, raced, locked int)
	// Crypto, when set, is told how many plaintext bytes the service
	// encrypted and decrypted and which of those failed (metrics).
	Crypto CryptoObserver
	// SigningKey signs the record of every object this service commits.
	// Without it the service stores nothing.
	SigningKey *envelope.SigningKey
	// Signers are trusted besides SigningKey's public half: objects are
	// read only when one of them signed their record.
	Signers envelope.Signers
	// InsecureSkipSigner reads objects whatever signed them, and format v1
	// objects, which nothing signs. Anyone with write access to the volume
	// can then plant objects: for recovery only.
	InsecureSkipSigner bool
	// Now is the clock for version IDs and Object Lock retention; nil is
	// time.Now. Tests inject a fake one.
	Now func() time.Time
	// Inventory, when set, logs every committed object change
	// (inventory.go): a write is answered only once its entry is durable.
	Inventory InventoryLog
}

// CryptoObserver counts the service's encryption and decryption. Encrypted
// is called once per part written (err is an encryption or storage write
// failure, never the client's); Decrypted once per range read, when it is
// closed, and once for every stored object that fails verification (err
// non-nil).
type CryptoObserver interface {
	Encrypted(plaintext int64, err error)
	Decrypted(plaintext int64, err error)
}

type nopCrypto struct{}

func (nopCrypto) Encrypted(int64, error) {}
func (nopCrypto) Decrypted(int64, error) {}

// Service is the object service. It holds no per-object state: any number
// of Services, in one process or many, may share one backend.
type Service struct {
	be          backend.Backend
	keyring     Keyring
	keys        atomic.Pointer[keySet] // replaced whole by SetKeys
	segSize     int
	log         *slog.Logger
	maxAge      time.Duration
	janitorDone func(aborted int, err error)
	lcDone      func(expired, aborted, raced, locked int)
	crypto      CryptoObserver
	minPartSize int64 // tests lower it
	// lifecycleExamined, set by tests, runs between the janitor's listing
	// of a due object and its conditional delete.
	lifecycleExamined func(bucket, key string)
	// promoteCopied, set by tests, runs after a promotion's atomic
	// replace of the current version and before its noncurrent name goes:
	// an error stops there, as a crash would.
	promoteCopied func() error

	signer     *envelope.SigningKey // nil: nothing can be stored
	trusted    envelope.Signers
	skipSigner bool
	metaKey    []byte       // gateway metadata key, from the state key; nil without one
	attrSealer *stateSealer // seals upload and part attributes under metaKey
	clock      func() time.Time
}

var _ s3api.Service = (*Service)(nil)

// The optional parts of s3api.Service this gateway serves: s3api answers
// 501 only to a Service without them.
var (
	_ s3api.Versioning     = (*Service)(nil)
	_ s3api.ObjectLock     = (*Service)(nil)
	_ s3api.Lifecycle      = (*Service)(nil)
	_ s3api.BucketPolicies = (*Service)(nil)
)

// New returns a Service for cfg.
func New(cfg Config) (*Service, error) {
	if cfg.Backend == nil {
		return nil, errors.New("gateway: Config.Backend is nil")
	}
	if cfg.SegmentSize < 0 {
		return nil, fmt.Errorf("gateway: negative segment size %d", cfg.SegmentSize)
	}
	s := &Service{
		be:          cfg.Backend,
		keyring:     cfg.Keyring,
		segSize:     cfg.SegmentSize,
		log:         cfg.Logger,
		maxAge:      cfg.UploadMaxAge,
		janitorDone: cfg.JanitorDone,
		lcDone:      cfg.LifecycleDone,
		crypto:      cfg.Crypto,
		minPartSize: minPartSize,
		clock:       cfg.Now,
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.segSize == 0 {
		s.segSize = envelope.DefaultSegmentSize
	}
	if cfg.Inventory != nil {
		s.be = &loggedBackend{Backend: s.be, log: cfg.Inventory}
	}
	if s.log == nil {
		s.log = discardLogger()
	}
	s.log = slog.New(logctx.NewHandler(s.log.Handler()))
	if s.crypto == nil {
		s.crypto = nopCrypto{}
	}
	if s.maxAge == 0 {
		s.maxAge = DefaultUploadMaxAge
	}
	s.SetKeys(cfg.Recipients, cfg.Identities)

	if cfg.StateKey != nil {
		if len(cfg.StateKey) != StateKeySize {
			return nil, fmt.Errorf("gateway: state key is %d bytes, want %d", len(cfg.StateKey), StateKeySize)
		}
		var err error
		if s.metaKey, err = envelope.GatewayMetaKey(cfg.StateKey); err != nil {
			return nil, err
		}
		if s.attrSealer, err = newStateSealer(s.metaKey); err != nil {
			return nil, err
		}
	}
	s.signer, s.skipSigner = cfg.SigningKey, cfg.InsecureSkipSigner
	s.trusted = append(s.trusted, cfg.Signers...)
	if s.signer != nil && s.trusted.Find(s.signer.KeyID()) == nil {
		s.trusted = append(s.trusted, s.signer.Public())
	}
	return s, nil
}

// keySet is the keys a Service seals and opens with. A request takes one
// snapshot and uses it throughout, so a reload never mixes two sets in one
// object.
type keySet struct {
	recipients []envelope.Recipient
	identities []envelope.Identity
}

// SetKeys replaces the recipients and identities, for a configuration
// reload: requests that started before keep the keys they took. As in
// Config, no recipients means the recipients of the identities.
func (s *Service) SetKeys(recipients []envelope.Recipient, identities []envelope.Identity) {
	k := &keySet{recipients: recipients, identities: identities}
	if len(k.recipients) == 0 {
		for _, id := range identities {
			k.recipients = append(k.recipients, id.Recipient())
		}
	}
	s.keys.Store(k)
}

// keySet returns the current keys.
func (s *Service) keySet() *keySet {
	if k := s.keys.Load(); k != nil {
		return k
	}
	return &keySet{}
}

// Recipients reports how many recipients new objects are sealed for; zero
// means the service cannot store objects.
func (s *Service) Recipients() int { return len(s.keySet().recipients) }

// ListBuckets lists every bucket, sorted by name.
func (s *Service) ListBuckets(ctx context.Context) ([]s3api.BucketInfo, error) {
	bs, err := s.be.ListBuckets(ctx)
	if err != nil {
		return nil, s.fail(op{name: "ListBuckets", ctx: ctx}, err)
	}
	out := make([]s3api.BucketInfo, len(bs))
	for i, b := range bs {
		out[i] = s3api.BucketInfo{Name: b.Name, Created: b.Created}
	}
	return out, nil
}

// CreateBucket creates bucket; an existing bucket is
// BucketAlreadyOwnedByYou (there is a single owner).
func (s *Service) CreateBucket(ctx context.Context, bucket string) error {
	return s.fail(op{"CreateBucket", bucket, "", ctx}, s.be.CreateBucket(ctx, bucket))
}

// HeadBucket reports whether bucket exists.
func (s *Service) HeadBucket(ctx context.Context, bucket string) error {
	_, err := s.be.HeadBucket(ctx, bucket)
	return s.fail(op{"HeadBucket", bucket, "", ctx}, err)
}

// DeleteBucket removes an empty bucket.
func (s *Service) DeleteBucket(ctx context.Context, bucket string) error {
	err := s.be.DeleteBucket(ctx, bucket)
	if errors.Is(err, backend.ErrBucketNotEmpty) {
		err = s.deleteConfiguredBucket(ctx, bucket)
	}
	if errors.Is(err, backend.ErrBucketNotEmpty) {
		return s.notEmpty(ctx, bucket)
	}
	return s.fail(op{"DeleteBucket", bucket, "", ctx}, err)
}

// DeleteObject removes bucket/key. As in S3, deleting a key that does not
// exist succeeds; a missing bucket does not. A conditional delete is
// deleteIf (conditional.go).
func (s *Service) DeleteObject(ctx context.Context, bucket, key string, cond ...s3api.DeleteConditions) error {
	o := op{"DeleteObject", bucket, key, ctx}
	for _, c := range cond {
		if c.Set() {
			return s.deleteIf(ctx, o, cond)
		}
	}
	err := s.be.Delete(ctx, bucket, key)
	if errors.Is(err, backend.ErrNoSuchKey) {
		return nil
	}
	return s.fail(o, err)
}

// holdsObject reports whether any current version under prefix is an
// object rather than a delete marker. It stops at the first object, so it
// reads past markers only.
func (s *Service) holdsObject(ctx context.Context, bucket, prefix string) (bool, error) {
	opts := backend.ListOptions{Prefix: prefix, MaxKeys: 100}
	for {
		page, err := s.be.List(ctx, bucket, opts)
		if err != nil {
			return false, err
		}
		for _, o := range page.Objects {
			if !IsDeleteMarker(o.Meta) {
				return true, nil
			}
		}
		if !page.IsTruncated {
			return false, nil
		}
		opts.After = page.NextAfter
	}
}

// ListObjects lists one page of bucket from metadata only. The gateway's
// reserved keys (noncurrent versions, configuration) sort before every
// user key and are skipped; current delete markers are not listed.
func (s *Service) ListObjects(ctx context.Context, in *s3api.ListObjectsInput) (*s3api.ListObjectsOutput, error) {
	out := &s3api.ListObjectsOutput{}
	if strings.HasPrefix(in.Prefix, reservedPrefix) {
		_, err := s.be.HeadBucket(ctx, in.Bucket)
		return out, s.fail(op{"ListObjects", in.Bucket, "", ctx}, err)
	}
	opts := backend.ListOptions{Prefix: in.Prefix, Delimiter: in.Delimiter, After: max(in.After, afterReserved), MaxKeys: in.MaxKeys}
	if opts.MaxKeys <= 0 {
		opts.MaxKeys = 1000
	}
	// In a bucket that has had versioning, a common prefix may hold only
	// delete markers; S3 does not list such a prefix.
	markers := false
	if in.Delimiter != "" {
		cfg, _, err := s.readConfig(ctx, in.Bucket)
		if err != nil {
			return nil, s.fail(op{"ListObjects", in.Bucket, "", ctx}, err)
		}
		markers = cfg.Versioning != ""
	}
	for {
		page, err := s.be.List(ctx, in.Bucket, opts)
		if err != nil {
			return nil, s.fail(op{"ListObjects", in.Bucket, "", ctx}, err)
		}
		// Markers are skipped, so a page may come back short: list on
		// until it is full or the bucket ends.
		pi, po := 0, 0
		for pi < len(page.CommonPrefixes) || po < len(page.Objects) {
			if po < len(page.Objects) && (pi == len(page.CommonPrefixes) || page.Objects[po].Key < page.CommonPrefixes[pi]) {
				bo := page.Objects[po]
				po++
				out.NextAfter = bo.Key
				if !IsDeleteMarker(bo.Meta) {
					out.Objects = append(out.Objects, s.listInfo(in.Bucket, bo))
				}
			} else {
				cp := page.CommonPrefixes[pi]
				pi++
				out.NextAfter = cp
				live := true
				if markers {
					if live, err = s.holdsObject(ctx, in.Bucket, cp); err != nil {
						return nil, s.fail(op{"ListObjects", in.Bucket, "", ctx}, err)
					}
				}
				if live {
					out.CommonPrefixes = append(out.CommonPrefixes, cp)
				}
			}
			if len(out.Objects)+len(out.CommonPrefixes) == opts.MaxKeys {
				out.IsTruncated = page.IsTruncated || pi < len(page.CommonPrefixes) || po < len(page.Objects)
				return out, nil
			}
		}
		if !page.IsTruncated {
			return out, nil
		}
		opts.After = page.NextAfter
	}
}
