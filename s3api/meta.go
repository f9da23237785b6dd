package s3api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

const (
	metaPrefix     = "X-Amz-Meta-" // canonical form of x-amz-meta-
	metaPrefixWire = "x-amz-meta-" // the form S3 sends back
)

// parseMeta collects the object metadata a PUT, copy or multipart create
// sets. aws-chunked is a transfer detail of this request, not part of the
// object's Content-Encoding.
func parseMeta(h http.Header) (ObjectMeta, error) {
	m := ObjectMeta{
		ContentType:        h.Get("Content-Type"),
		ContentDisposition: h.Get("Content-Disposition"),
		ContentLanguage:    h.Get("Content-Language"),
		CacheControl:       h.Get("Cache-Control"),
		Expires:            h.Get("Expires"),
	}
	var enc []string
	for _, e := range commaList(h.Values("Content-Encoding")) {
		if !strings.EqualFold(e, "aws-chunked") {
			enc = append(enc, e)
		}
	}
	m.ContentEncoding = strings.Join(enc, ", ")
	var err error
	if m.WebsiteRedirect, err = parseWebsiteRedirect(h); err != nil {
		return m, err
	}

	size := 0
	for k, vs := range h {
		if len(k) <= len(metaPrefix) || !strings.EqualFold(k[:len(metaPrefix)], metaPrefix) {
			continue
		}
		name := strings.ToLower(k[len(metaPrefix):])
		v := strings.Join(vs, ",")
		size += len(name) + len(v)
		if m.User == nil {
			m.User = make(map[string]string)
		}
		m.User[name] = v
	}
	if size > MaxUserMetadataSize {
		return m, ErrMetadataTooLarge.WithMessage("Your metadata headers are %d bytes, the maximum is %d.", size, MaxUserMetadataSize)
	}
	return m, nil
}

// setObjectHeaders writes an object's description into response headers.
func setObjectHeaders(h http.Header, info *ObjectInfo) {
	ct := info.Meta.ContentType
	if ct == "" {
		ct = "binary/octet-stream"
	}
	h.Set("Content-Type", ct)
	if info.ETag != "" {
		h.Set("ETag", quoteETag(info.ETag))
	}
	if !info.LastModified.IsZero() {
		h.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
	}
	h.Set("Accept-Ranges", "bytes")
	if r := info.Retention; r != nil {
		h.Set("x-amz-object-lock-mode", r.Mode)
		h.Set("x-amz-object-lock-retain-until-date", r.Until.UTC().Format("2006-01-02T15:04:05.000Z"))
	}
	if info.LegalHold != "" {
		h.Set("x-amz-object-lock-legal-hold", info.LegalHold)
	}
	for name, v := range map[string]string{
		"Content-Disposition": info.Meta.ContentDisposition,
		"Content-Language":    info.Meta.ContentLanguage,
		"Cache-Control":       info.Meta.CacheControl,
		"Expires":             info.Meta.Expires,
		websiteRedirectHeader: info.Meta.WebsiteRedirect,
	} {
		if v != "" {
			h.Set(name, v)
		}
	}
	if info.Meta.ContentEncoding != "" {
		// Objects stored before values were joined with ", " read the same.
		h.Set("Content-Encoding", strings.Join(commaList([]string{info.Meta.ContentEncoding}), ", "))
	}
	// User metadata names go out exactly as stored (lower case), as S3
	// sends them: Header.Set would canonicalise "meta1" to "Meta1", and
	// clients that do not fold case (boto3's Metadata dict) would report
	// a different name than the one stored.
	for k, v := range info.Meta.User {
		h[metaPrefixWire+k] = []string{v}
	}
	if info.PartsCount > 0 {
		h.Set("x-amz-mp-parts-count", strconv.Itoa(info.PartsCount))
	}
	setTaggingCount(h, info.Tags)
}

// responseOverrides are the response-* query parameters of GetObject and
// the headers they replace.
var responseOverrides = [][2]string{
	{"response-content-type", "Content-Type"},
	{"response-content-language", "Content-Language"},
	{"response-expires", "Expires"},
	{"response-cache-control", "Cache-Control"},
	{"response-content-disposition", "Content-Disposition"},
	{"response-content-encoding", "Content-Encoding"},
}

func applyOverrides(h http.Header, q url.Values) {
	for _, o := range responseOverrides {
		if q.Has(o[0]) {
			h.Set(o[1], q.Get(o[0]))
		}
	}
}

// setChecksumHeaders echoes checksums as x-amz-checksum-* headers.
func setChecksumHeaders(h http.Header, cs Checksums) {
	for alg, v := range cs {
		if v != "" {
			h.Set("x-amz-checksum-"+strings.ToLower(alg), v)
		}
	}
}

func quoteETag(e string) string {
	if strings.HasPrefix(e, `"`) {
		return e
	}
	return `"` + e + `"`
}

func unquoteETag(e string) string {
	e = strings.TrimSpace(e)
	e = strings.TrimPrefix(e, "W/")
	if len(e) >= 2 && e[0] == '"' && e[len(e)-1] == '"' {
		return e[1 : len(e)-1]
	}
	return e
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
