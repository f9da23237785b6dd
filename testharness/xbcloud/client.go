package xbcloud

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"
)

// Lookup and signature choices, as the --s3-bucket-lookup and
// --s3-api-version flags spell them.
const (
	LookupAuto = "auto"
	LookupPath = "path"
	LookupDNS  = "dns"
	APIAuto    = "auto"
	APIV2      = "2"
	APIV4      = "4"
)

// Config is what the xbcloud command line sets.
type Config struct {
	Endpoint     string // http://host:port; without a scheme HTTPS is meant
	AccessKey    string
	SecretKey    string
	SessionToken string // sent as X-Amz-Security-Token when set
	Bucket       string
	Region       string // default us-east-1
	APIVersion   string // APIAuto (default), APIV2, APIV4
	BucketLookup string // LookupAuto (default), LookupPath, LookupDNS
	Parallel     int    // default 1
	StorageClass string // sent as X-Amz-Storage-Class on every request when set
	MD5          bool   // put also uploads <name>.md5
	MaxRetries   int    // default 10
	RetryBackoff time.Duration
	// ConnectTo, when set, is the address every connection goes to
	// whatever the Host (a test aid for DNS style on 127.0.0.1).
	ConnectTo string
	// CACert is a PEM file of certificates to trust for HTTPS instead of
	// the system roots (xbcloud's --cacert); Insecure skips verification.
	CACert   string
	Insecure bool
	Log      io.Writer // progress messages; nil: none
	// Transport overrides the HTTP transport (tests).
	Transport http.RoundTripper
}

// Client talks to one bucket. After Connect it knows the lookup style and
// signature version to use.
type Client struct {
	cfg    Config
	scheme string
	host   string // endpoint host[:port], as it goes into Host
	hc     *http.Client
	lookup string
	api    string
}

// New checks cfg and builds a Client. It sends nothing.
func New(cfg Config) (*Client, error) {
	if cfg.Bucket == "" || cfg.AccessKey == "" || cfg.SecretKey == "" || cfg.Endpoint == "" {
		return nil, errors.New("xbcloud: endpoint, bucket, access key and secret key are required")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.APIVersion == "" {
		cfg.APIVersion = APIAuto
	}
	if cfg.BucketLookup == "" {
		cfg.BucketLookup = LookupAuto
	}
	switch cfg.APIVersion {
	case APIAuto, APIV2, APIV4:
	default:
		return nil, fmt.Errorf("xbcloud: --s3-api-version must be 2, 4 or auto, not %q", cfg.APIVersion)
	}
	switch cfg.BucketLookup {
	case LookupAuto, LookupPath, LookupDNS:
	default:
		return nil, fmt.Errorf("xbcloud: --s3-bucket-lookup must be path, dns or auto, not %q", cfg.BucketLookup)
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 1
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 10
	}
	if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.RetryBackoff == 0 {
		cfg.RetryBackoff = 100 * time.Millisecond
	}
	ep := cfg.Endpoint
	if !strings.Contains(ep, "://") {
		ep = "https://" + ep
	}
	u, err := url.Parse(ep)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("xbcloud: bad endpoint %q", cfg.Endpoint)
	}
	c := &Client{cfg: cfg, scheme: u.Scheme, host: u.Host, lookup: cfg.BucketLookup, api: cfg.APIVersion}
	rt := cfg.Transport
	if rt == nil {
		tc := &tls.Config{InsecureSkipVerify: cfg.Insecure}
		if cfg.CACert != "" {
			pem, err := os.ReadFile(cfg.CACert)
			if err != nil {
				return nil, fmt.Errorf("xbcloud: --cacert: %w", err)
			}
			tc.RootCAs = x509.NewCertPool()
			if !tc.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("xbcloud: --cacert %s holds no PEM certificate", cfg.CACert)
			}
		}
		d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
		rt = &http.Transport{
			Proxy: nil, // a clean client: no proxy from the environment
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				if cfg.ConnectTo != "" {
					addr = cfg.ConnectTo
				}
				return d.DialContext(ctx, network, addr)
			},
			TLSClientConfig:       tc,
			MaxIdleConnsPerHost:   cfg.Parallel + 2,
			ExpectContinueTimeout: 2 * time.Second,
			DisableCompression:    true, // Accept-Encoding is set by hand, like curl
			ResponseHeaderTimeout: 5 * time.Minute,
		}
	}
	c.hc = &http.Client{Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return c, nil
}

// Style reports the lookup style and signature version in use.
func (c *Client) Style() (lookup, api string) { return c.lookup, c.api }

func (c *Client) logf(format string, a ...any) {
	if c.cfg.Log != nil {
		fmt.Fprintf(c.cfg.Log, "xbcloud: "+format+"\n", a...)
	}
}

// request is one S3 call: key "" addresses the bucket itself.
type request struct {
	method    string
	key       string
	query     query
	body      []byte
	objectPut bool // sets Content-Type: application/octet-stream
}

// response is a fully read answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// maxResponse bounds what one answer may hold: a chunk object is at most
// 64 MiB of payload plus its header (see xbstream.MaxPayloadLen).
const maxResponse = 64<<20 + 64<<10

// Error is an S3 error answer.
type Error struct {
	Method, Path string
	Status       int
	Code         string // from the XML body, when Content-Type was application/xml
	Message      string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s %s: HTTP %d", e.Method, e.Path, e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

var emptyMD5 = md5.Sum(nil)

// do sends r with the client's current style, retrying transient
// failures. Non-2xx answers come back as *Error.
func (c *Client) do(ctx context.Context, r request) (*response, error) {
	return c.doStyle(ctx, r, c.lookup, c.api)
}

func (c *Client) doStyle(ctx context.Context, r request, lookup, api string) (*response, error) {
	var lastErr error
	for attempt := 0; ; attempt++ {
		resp, err := c.once(ctx, r, lookup, api)
		retry := false
		switch {
		case err != nil:
			retry = retryableNetErr(err)
			lastErr = err
		case resp.status == 500 || resp.status == 503 || resp.status == 504 || resp.status == 408:
			retry = true
			lastErr = c.httpError(r, resp, lookup)
		case resp.status/100 != 2:
			return resp, c.httpError(r, resp, lookup)
		default:
			return resp, nil
		}
		if !retry || attempt >= c.cfg.MaxRetries || ctx.Err() != nil {
			if attempt > 0 {
				return nil, fmt.Errorf("%w (after %d retries)", lastErr, attempt)
			}
			return nil, lastErr
		}
		wait := c.cfg.RetryBackoff << min(attempt, 6)
		c.logf("%s %s failed (%v), retry %d in %v", r.method, c.pathOf(r, lookup), lastErr, attempt+1, wait)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// retryableNetErr tells a dropped connection (retried) from a refused one,
// a failed name lookup, a rejected certificate or a cancelled context (not
// retried: trying again cannot help).
func retryableNetErr(err error) bool {
	var dns *net.DNSError
	var cert *tls.CertificateVerificationError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.As(err, &dns), errors.As(err, &cert),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	}
	return true
}

func (c *Client) pathOf(r request, lookup string) string {
	p := "/"
	if lookup == LookupPath {
		p += curlEscape(c.cfg.Bucket) + "/"
	}
	return p + escapePath(r.key)
}

func (c *Client) httpError(r request, resp *response, lookup string) error {
	e := &Error{Method: r.method, Path: c.pathOf(r, lookup), Status: resp.status}
	if resp.header.Get("Content-Type") == "application/xml" {
		var x struct {
			Code    string
			Message string
		}
		if xml.Unmarshal(resp.body, &x) == nil {
			e.Code, e.Message = x.Code, x.Message
		}
	}
	return e
}

// once sends r a single time, signed afresh, and reads the whole answer.
func (c *Client) once(ctx context.Context, r request, lookup, api string) (*response, error) {
	host := c.host
	if lookup == LookupDNS {
		host = c.cfg.Bucket + "." + c.host
	}
	path := c.pathOf(r, lookup)
	rawQuery := r.query.encode()
	u := &url.URL{Scheme: c.scheme, Host: host, RawQuery: rawQuery}
	if u.Path, u.RawPath = unescapeOrSame(path), path; u.Path == u.RawPath {
		u.RawPath = ""
	}
	var body io.Reader = http.NoBody
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("xbcloud: %s %s: %w", r.method, path, err)
	}
	req.Host = host
	req.ContentLength = int64(len(r.body))
	if r.body == nil && r.method != http.MethodPut {
		req.Body = nil
		req.GetBody = nil
	}
	h := req.Header
	h["User-Agent"] = []string{""} // xbcloud sends none; "" stops net/http adding its own
	h.Set("Accept", "*/*")
	h.Set("Accept-Encoding", "gzip")
	sum := md5.Sum(r.body)
	h.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
	if r.objectPut {
		h.Set("Content-Type", "application/octet-stream")
	}
	if len(r.body) > 1024 {
		h.Set("Expect", "100-continue")
	}
	if c.cfg.StorageClass != "" {
		h.Set("X-Amz-Storage-Class", c.cfg.StorageClass)
	}
	if c.cfg.SessionToken != "" {
		h.Set("X-Amz-Security-Token", c.cfg.SessionToken)
	}
	now := time.Now()
	if api == APIV2 {
		resource := path
		if lookup == LookupDNS {
			resource = "/" + curlEscape(c.cfg.Bucket) + path
		}
		signV2(h, r.method, resource, c.cfg.AccessKey, c.cfg.SecretKey, now.UTC().Format(http.TimeFormat))
	} else {
		ph := sha256.Sum256(r.body)
		h.Set("X-Amz-Content-SHA256", hex.EncodeToString(ph[:]))
		signV4(h, r.method, host, path, rawQuery, c.cfg.Region, c.cfg.AccessKey, c.cfg.SecretKey, now)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("xbcloud: %s %s: %w", r.method, path, err)
	}
	defer resp.Body.Close()
	var rd io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("xbcloud: %s %s: gzip answer: %w", r.method, path, err)
		}
		rd = zr
	}
	b, err := io.ReadAll(io.LimitReader(rd, maxResponse+1))
	if err != nil {
		// A body cut short is a dropped connection: retried by do.
		return nil, fmt.Errorf("xbcloud: %s %s: reading the answer: %w", r.method, path, err)
	}
	if len(b) > maxResponse {
		return nil, fmt.Errorf("xbcloud: %s %s: answer larger than %d bytes", r.method, path, maxResponse)
	}
	if resp.ContentLength >= 0 && r.method != http.MethodHead && int64(len(b)) != resp.ContentLength {
		return nil, fmt.Errorf("xbcloud: %s %s: got %d of %d bytes", r.method, path, len(b), resp.ContentLength)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

func unescapeOrSame(p string) string {
	u, err := url.PathUnescape(p)
	if err != nil {
		return p
	}
	return u
}

// Connect settles the lookup style and signature version (probing in AUTO
// mode) and returns the HEAD status of the bucket: 200 or 404.
func (c *Client) Connect(ctx context.Context) (int, error) {
	type combo struct{ lookup, api string }
	var tries []combo
	for _, l := range []string{LookupDNS, LookupPath} {
		if c.cfg.BucketLookup != LookupAuto && c.cfg.BucketLookup != l {
			continue
		}
		for _, a := range []string{APIV4, APIV2} {
			if c.cfg.APIVersion != APIAuto && c.cfg.APIVersion != a {
				continue
			}
			tries = append(tries, combo{l, a})
		}
	}
	var errs []string
	for _, t := range tries {
		resp, err := c.doStyle(ctx, request{method: http.MethodHead}, t.lookup, t.api)
		var he *Error
		if err == nil || errors.As(err, &he) && he.Status == 404 {
			c.lookup, c.api = t.lookup, t.api
			status := 404
			if err == nil {
				status = resp.status
			}
			c.logf("using %s-style requests with signature V%s (bucket HEAD: %d)", t.lookup, t.api, status)
			return status, nil
		}
		errs = append(errs, fmt.Sprintf("%s+V%s: %v", strings.ToUpper(t.lookup), t.api, err))
	}
	return 0, fmt.Errorf("xbcloud: cannot reach bucket %q: %s", c.cfg.Bucket, strings.Join(errs, "; "))
}
