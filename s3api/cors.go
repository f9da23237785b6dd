package s3api

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// # CORS
//
// A bucket's CORS configuration (PutBucketCors) lets web pages of other
// origins call the gateway from a browser. It is S3's document and S3's
// rules: at most MaxCORSRules rules; each names at least one
// AllowedOrigin (one "*" wildcard at most) and one AllowedMethod (GET,
// PUT, POST, DELETE or HEAD, upper case), optionally AllowedHeader (one
// wildcard at most), ExposeHeader, MaxAgeSeconds and an ID.
//
// Browsers send their preflight (OPTIONS with Origin and
// Access-Control-Request-Method) without credentials, so the preflight is
// the one request answered without authentication (cors_preflight.go).
// What it reveals is what the bucket owner configured for that origin and
// nothing else: a bucket without a configuration and a bucket that does
// not exist answer alike (403 "CORS is not enabled for this bucket"), so
// anonymous callers cannot probe bucket names. Actual requests stay
// authenticated as always; a matching rule only adds the
// Access-Control-* response headers the browser needs to hand the answer
// to the page.

// MaxCORSRules is S3's limit of rules in one configuration.
const MaxCORSRules = 100

// maxCORSBody bounds PutBucketCors's body: S3 allows 64 KB.
const maxCORSBody = 64 << 10

// corsMethods are the methods a rule may allow, as S3 spells them.
var corsMethods = []string{"GET", "PUT", "POST", "DELETE", "HEAD"}

// CORSConfiguration is the CORSConfiguration document.
type CORSConfiguration struct {
	XMLName xml.Name   `xml:"CORSConfiguration"`
	Xmlns   string     `xml:"xmlns,attr,omitempty"`
	Rules   []CORSRule `xml:"CORSRule"`
}

// CORSRule is one rule of a CORS configuration.
type CORSRule struct {
	ID             string   `xml:"ID,omitempty"`
	AllowedHeaders []string `xml:"AllowedHeader"`
	AllowedMethods []string `xml:"AllowedMethod"`
	AllowedOrigins []string `xml:"AllowedOrigin"`
	ExposeHeaders  []string `xml:"ExposeHeader"`
	MaxAgeSeconds  *int     `xml:"MaxAgeSeconds,omitempty"`
}

var (
	ErrNoSuchCORSConfiguration = newErr("NoSuchCORSConfiguration", http.StatusNotFound, "The CORS configuration does not exist")
	// ErrCORSNotEnabled and ErrCORSForbidden answer preflights, in S3's
	// words.
	ErrCORSNotEnabled = newErr("AccessForbidden", http.StatusForbidden, "CORSResponse: CORS is not enabled for this bucket.")
	ErrCORSForbidden  = newErr("AccessForbidden", http.StatusForbidden, "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.")
)

// ParseCORS parses and validates a CORSConfiguration document as S3 does.
func ParseCORS(data []byte) (*CORSConfiguration, error) {
	var cfg CORSConfiguration
	if err := xml.Unmarshal(bytes.TrimSpace(data), &cfg); err != nil {
		return nil, ErrMalformedXML.WithDetail("The CORS configuration does not parse: %s.", truncate(err.Error(), 120))
	}
	switch {
	case len(cfg.Rules) == 0:
		return nil, ErrMalformedXML.WithDetail("A CORS configuration needs at least one CORSRule.")
	case len(cfg.Rules) > MaxCORSRules:
		return nil, ErrMalformedXML.WithDetail("A CORS configuration has at most %d rules.", MaxCORSRules)
	}
	for i := range cfg.Rules {
		if err := cfg.Rules[i].validate(); err != nil {
			return nil, err
		}
	}
	cfg.Xmlns = ""
	return &cfg, nil
}

// Marshal returns the configuration as a canonical document, for storage.
func (c *CORSConfiguration) Marshal() ([]byte, error) {
	out := *c
	out.Xmlns = ""
	return xml.Marshal(&out)
}

func (r *CORSRule) validate() error {
	switch {
	case len(r.AllowedOrigins) == 0:
		return ErrMalformedXML.WithDetail("Each CORSRule needs an AllowedOrigin.")
	case len(r.AllowedMethods) == 0:
		return ErrMalformedXML.WithDetail("Each CORSRule needs an AllowedMethod.")
	case len(r.ID) > 255:
		return ErrInvalidArgument.WithMessage("The ID of a CORSRule is at most 255 characters.")
	}
	for _, m := range r.AllowedMethods {
		if !slices.Contains(corsMethods, m) {
			return ErrInvalidRequest.WithMessage("Found unsupported HTTP method in CORS config. Unsupported method is %s", truncate(m, 64))
		}
	}
	for _, o := range r.AllowedOrigins {
		if strings.Count(o, "*") > 1 {
			return ErrInvalidRequest.WithMessage("AllowedOrigin \"%s\" can not have more than one wildcard.", truncate(o, 256))
		}
	}
	for _, h := range r.AllowedHeaders {
		if strings.Count(h, "*") > 1 {
			return ErrInvalidRequest.WithMessage("AllowedHeader \"%s\" can not have more than one wildcard.", truncate(h, 256))
		}
		if !validHeaderName(strings.ReplaceAll(h, "*", "")) && h != "*" {
			return ErrInvalidRequest.WithMessage("AllowedHeader \"%s\" contains invalid character.", truncate(h, 256))
		}
	}
	for _, h := range r.ExposeHeaders {
		if !validHeaderName(h) {
			// S3 words a bad ExposeHeader like a bad AllowedHeader.
			return ErrInvalidRequest.WithMessage("AllowedHeader \"%s\" contains invalid character.", truncate(h, 256))
		}
	}
	return nil
}

// validHeaderName reports a non-empty HTTP token (RFC 9110 field name).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// wildcardMatch matches s against a pattern with at most one "*", which
// stands for any run of characters. fold compares without case.
func wildcardMatch(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	pre, post, star := strings.Cut(pattern, "*")
	if !star {
		return pattern == s
	}
	return len(s) >= len(pre)+len(post) && strings.HasPrefix(s, pre) && strings.HasSuffix(s, post)
}

// corsMatch is the rule that allows a cross-origin request, with the
// origin pattern that matched.
type corsMatch struct {
	rule     *CORSRule
	wildcard bool // the rule allows every origin ("*")
}

// Match returns the first rule that allows origin to use method with the
// request headers (lower case) the preflight names. S3 takes the first
// matching rule, in document order.
func (c *CORSConfiguration) match(origin, method string, headers []string) (corsMatch, bool) {
	for i := range c.Rules {
		r := &c.Rules[i]
		if !slices.Contains(r.AllowedMethods, method) {
			continue
		}
		oi := slices.IndexFunc(r.AllowedOrigins, func(p string) bool { return wildcardMatch(p, origin, false) })
		if oi < 0 || !r.allowsHeaders(headers) {
			continue
		}
		return corsMatch{rule: r, wildcard: r.AllowedOrigins[oi] == "*"}, true
	}
	return corsMatch{}, false
}

func (r *CORSRule) allowsHeaders(headers []string) bool {
	for _, h := range headers {
		if !slices.ContainsFunc(r.AllowedHeaders, func(p string) bool { return wildcardMatch(p, h, true) }) {
			return false
		}
	}
	return true
}

// setHeaders writes the Access-Control-* answer of a matched rule: the
// origin (or "*" for a rule open to every origin, which S3 answers
// without credentials), the rule's methods, the requested headers (a
// preflight's, lower case), the exposed headers and the max age. Vary
// tells caches that the answer depends on these request headers.
func (m corsMatch) setHeaders(h http.Header, origin string, requested []string) {
	if m.wildcard {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Set("Access-Control-Allow-Methods", strings.Join(m.rule.AllowedMethods, ", "))
	if len(requested) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(requested, ", "))
	}
	if len(m.rule.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(m.rule.ExposeHeaders, ", "))
	}
	if m.rule.MaxAgeSeconds != nil {
		h.Set("Access-Control-Max-Age", strconv.Itoa(*m.rule.MaxAgeSeconds))
	}
	h.Set("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
}
