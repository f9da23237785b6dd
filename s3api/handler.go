package s3api

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"envelopegw/logctx"
	"envelopegw/s3api/auth"
	"envelopegw/s3api/md5pool"

	md5simd "github.com/minio/md5-simd"
)

// S3 limits the handler enforces before the Service sees a request.
const (
	DefaultRegion        = "us-east-1"
	DefaultMaxObjectSize = 5 << 30 // largest single PUT (and copy source)
	DefaultMaxPartSize   = 5 << 30 // largest multipart part
	MaxKeyLength         = 1024    // bytes of UTF-8
	MaxUserMetadataSize  = 2 << 10 // sum of x-amz-meta-* names and values
	MaxPartNumber        = 10000
	MaxListKeys          = 1000
	// MaxHeaderBytes bounds the request header section (names plus values),
	// at S3's own 8 KiB: the handler answers RequestHeaderSectionTooLarge
	// with MaxSizeAllowed above it, as S3 does. Servers should set
	// http.Server.MaxHeaderBytes a little higher so that the handler, not
	// the connection, reports it.
	MaxHeaderBytes = 8 << 10

	maxCompleteBody     = 2 << 20 // CompleteMultipartUpload with 10,000 parts
	maxDeleteBody       = 1 << 20 // DeleteObjects with 1,000 keys
	maxCreateBucketBody = 64 << 10
	maxDeleteKeys       = 1000
)

// Config configures NewHandler.
type Config struct {
	// Service executes the operations. Required.
	Service Service
	// Credentials resolves access keys to secrets. Required: every request
	// is authenticated; anonymous requests are denied.
	Credentials auth.Credentials
	// Region is the one region this endpoint serves; "" means us-east-1.
	// SigV4 credential scopes must name it.
	Region string
	// Domains are the base domains of virtual-host style requests: with
	// "s3.local", Host "b.s3.local:9000" addresses bucket b and Host
	// "s3.local" is path style. IP addresses and localhost are always path
	// style (and "b.localhost" is bucket b). Any other Host is refused with
	// 400, so that a client probing for virtual-host support (xbcloud)
	// learns that it is not available instead of hitting the service root.
	Domains []string
	// Authorizer decides what each authenticated user may do; nil allows
	// every authenticated request.
	Authorizer Authorizer
	// Logger receives one line per request (unless NoAccessLog); nil means
	// slog.Default(). Its handler is wrapped with logctx.NewHandler, and the
	// request ID rides in every request's context, so lines the Service
	// logs with that context carry it too.
	Logger *slog.Logger
	// NoAccessLog drops the line per request that succeeded or failed by
	// the client's doing; internal errors and aborted responses are still
	// logged.
	NoAccessLog bool
	// Observer, when set, watches every request (metrics).
	Observer Observer
	// MaxObjectSize caps single PUTs and copy sources; 0 means 5 GiB.
	MaxObjectSize int64
	// MaxPartSize caps UploadPart bodies; 0 means 5 GiB.
	MaxPartSize int64
	// MD5 hashes request bodies for ETags and Content-MD5. nil means one
	// md5pool.Pool of multi-buffer (SIMD) MD5 servers shared by every
	// handler in the process: concurrent uploads are hashed in parallel
	// lanes on another goroutine, overlapping with the Service's work. A
	// Server given here must stay as fast after millions of hashers as
	// after the first (md5-simd's own servers do not: see md5pool).
	MD5 md5simd.Server
	// StdlibMD5 hashes with crypto/md5 on the request goroutine instead
	// (lower latency for a lone stream, more CPU under concurrency).
	StdlibMD5 bool
	// StallTimeout bounds the wait for the next byte of a request body
	// (an idle deadline, not a total one); a body that sends nothing for
	// that long is answered 400 RequestTimeout and its connection closed.
	// 0 means DefaultStallTimeout; negative means no limit.
	StallTimeout time.Duration
	// Now returns the current time for signature checks; nil means
	// time.Now. Tests set it.
	Now func() time.Time
}

// sharedMD5 is the process-wide MD5 source. It retires its md5-simd
// servers after a bounded number of hashers, so its cost per byte does not
// grow with the requests served.
var sharedMD5 = sync.OnceValue(func() *md5pool.Pool { return &md5pool.Pool{} })

// handler is the http.Handler NewHandler returns.
type handler struct {
	svc       Service
	creds     auth.Credentials
	authz     Authorizer
	region    string
	domains   []string
	log       *slog.Logger
	noAccess  bool
	observe   Observer
	maxObject int64
	maxPart   int64
	md5       md5simd.Server
	stdMD5    bool
	stall     time.Duration
	now       func() time.Time
	policies  policyCache // parsed bucket policies (bucket_policy.go)
}

// NewHandler returns the S3 HTTP handler for cfg. It panics if cfg has no
// Service or no Credentials: that is a programming error.
func NewHandler(cfg Config) http.Handler {
	if cfg.Service == nil || cfg.Credentials == nil {
		panic("s3api: NewHandler needs a Service and Credentials")
	}
	h := &handler{
		svc:       cfg.Service,
		creds:     cfg.Credentials,
		authz:     cfg.Authorizer,
		region:    cfg.Region,
		log:       cfg.Logger,
		noAccess:  cfg.NoAccessLog,
		observe:   cfg.Observer,
		maxObject: cfg.MaxObjectSize,
		maxPart:   cfg.MaxPartSize,
		md5:       cfg.MD5,
		stdMD5:    cfg.StdlibMD5,
		stall:     cfg.StallTimeout,
		now:       cfg.Now,
	}
	for _, d := range cfg.Domains {
		d = strings.ToLower(strings.Trim(strings.TrimSpace(d), "."))
		if d != "" {
			h.domains = append(h.domains, d)
		}
	}
	if h.region == "" {
		h.region = DefaultRegion
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.log = slog.New(logctx.NewHandler(h.log.Handler()))
	if h.observe == nil {
		h.observe = nopObserver{}
	}
	if h.maxObject <= 0 {
		h.maxObject = DefaultMaxObjectSize
	}
	if h.maxPart <= 0 {
		h.maxPart = DefaultMaxPartSize
	}
	if h.md5 == nil && !h.stdMD5 {
		h.md5 = sharedMD5()
	}
	if h.stall == 0 {
		h.stall = DefaultStallTimeout
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h
}

// ServeHTTP runs one request: request IDs, logging, addressing, auth, then
// the operation.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	h.observe.Begin()
	continueEmptyBody(w, r)
	rw := newResponseWriter(w)
	rq := &request{h: h, w: rw, r: r}
	rq.in = newStallReader(w, r, h.stall)
	rw.beforeHeader = func(hdr http.Header) {
		// An answer given before the body was read to its end closes the
		// connection when the client failed authentication or stalled;
		// otherwise the rest of a small body gets a short grace to come.
		if rq.in.answering() && r.ProtoMajor == 1 {
			hdr.Set("Connection", "close")
		}
	}
	rq.id, rq.id2 = newRequestIDs()
	rq.r = r.WithContext(WithRequestScope(logctx.WithRequestID(r.Context(), rq.id)))
	hdr := w.Header()
	hdr.Set("x-amz-request-id", rq.id)
	hdr.Set("x-amz-id-2", rq.id2)
	hdr.Set("Server", "envelopegw")

	defer func() {
		// Log even when the handler aborts the connection, then let
		// net/http see the panic.
		p := recover()
		rq.in.abandon()
		h.finish(rq, rw, start, p)
		if p != nil {
			panic(p)
		}
	}()
	rq.serve()
}

// continueEmptyBody answers "Expect: 100-continue" on a request without a
// body (Content-Length 0) with an interim 100 Continue, before anything
// else. net/http sends the 100 only when a handler reads a body, so for an
// empty one it never does; S3 does. botocore (the aws CLI, boto3) depends
// on it: after a final answer that arrived without a 100 it keeps treating
// that status line as the next response's on the same connection, misreads
// the next answer and stalls until its 60 s read timeout, then re-sends.
// With no body there is nothing to protect by waiting for authentication,
// so the 100 goes out at once (and carries no headers yet).
func continueEmptyBody(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength == 0 && r.ProtoAtLeast(1, 1) && hasToken(r.Header.Values("Expect"), "100-continue") {
		w.WriteHeader(http.StatusContinue)
	}
}
