package s3

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Upstream says where the store is and how to reach it: what
// `serve --upstream` and the offline tools take.
type Upstream struct {
	// URL is scheme://host[:port]/BUCKET[/PREFIX]: the pre-created
	// upstream bucket and the prefix that all gateway buckets go under.
	URL       string
	AccessKey string
	SecretKey string
	Region    string // "" lets the client discover it (us-east-1 for most)
	Style     string // "path", "virtual" or "" (auto: virtual for AWS, path otherwise)
	CAFile    string // PEM file of CAs to trust besides the system's, for https
	PartSize  uint64 // see Options.PartSize
}

// Dial connects to an upstream and checks, before returning, that the
// bucket exists and the credentials may use it: a gateway with wrong
// credentials must fail at startup, not at the first request.
func Dial(ctx context.Context, up Upstream) (*Backend, error) {
	u, err := url.Parse(up.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("upstream %q: want http(s)://host[:port]/bucket[/prefix]", up.URL)
	}
	path := strings.Trim(u.Path, "/")
	bucket, prefix, _ := strings.Cut(path, "/")
	if bucket == "" {
		return nil, fmt.Errorf("upstream %q: no bucket in the path (http(s)://host[:port]/bucket[/prefix])", up.URL)
	}
	if up.AccessKey == "" || up.SecretKey == "" {
		return nil, errors.New("upstream: an access key and a secret key are required")
	}
	opts := &minio.Options{
		Creds:      credentials.NewStaticV4(up.AccessKey, up.SecretKey, ""),
		Secure:     u.Scheme == "https",
		Region:     up.Region,
		MaxRetries: upstreamRetries,
	}
	switch up.Style {
	case "", "auto":
	case "path":
		opts.BucketLookup = minio.BucketLookupPath
	case "virtual":
		opts.BucketLookup = minio.BucketLookupDNS
	default:
		return nil, fmt.Errorf("upstream style %q: want path, virtual or auto", up.Style)
	}
	tr, err := transport(up.CAFile)
	if err != nil {
		return nil, err
	}
	opts.Transport = tr
	c, err := minio.New(u.Host, opts)
	if err != nil {
		return nil, fmt.Errorf("upstream %s: %w", u.Host, err)
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	b, err := New(cctx, Options{Client: c, Bucket: bucket, Prefix: prefix, PartSize: up.PartSize})
	if err != nil {
		switch errCode(err) {
		case "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied":
			return nil, fmt.Errorf("upstream %s rejects the credentials (ENVELOPEGW_UPSTREAM_ACCESS_KEY / _SECRET_KEY): %w", u.Host, err)
		}
		return nil, err
	}
	return b, nil
}

// Faults. minio-go retries what may pass (network errors, 5xx, SlowDown)
// with jittered exponential backoff (200 ms doubling, at most 1 s apart);
// these bound how long one upstream request may take in all before the
// gateway gives its client a 503 to retry: a dead upstream (refused
// connections) fails in seconds, a hung one in at most
// upstreamRetries × (upstreamDialTimeout or upstreamHeaderTimeout).
const (
	upstreamRetries       = 5
	upstreamDialTimeout   = 10 * time.Second
	upstreamHeaderTimeout = 20 * time.Second // from the end of the request body to the answer's headers
)

// transport is minio-go's default transport with the fault bounds above,
// trusting caFile too.
func transport(caFile string) (http.RoundTripper, error) {
	tr, err := minio.DefaultTransport(true)
	if err != nil {
		return nil, err
	}
	tr.DialContext = (&net.Dialer{Timeout: upstreamDialTimeout, KeepAlive: 30 * time.Second}).DialContext
	tr.ResponseHeaderTimeout = upstreamHeaderTimeout
	if caFile == "" {
		return tr, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("upstream CA: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("upstream CA %s: no PEM certificate", caFile)
	}
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return tr, nil
}
