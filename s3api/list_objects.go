package s3api

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// listParams are the query parameters common to the listings.
type listParams struct {
	prefix, delimiter string
	maxKeys           int
	encode            func(string) string // identity, or S3's URL encoding
	encodingType      string
}

func parseListParams(q url.Values, maxName string) (listParams, error) {
	p := listParams{
		prefix:    q.Get("prefix"),
		delimiter: q.Get("delimiter"),
		encode:    func(s string) string { return s },
	}
	var err error
	if p.maxKeys, err = parseMax(q, maxName, MaxListKeys); err != nil {
		return p, err
	}
	switch et := q.Get("encoding-type"); et {
	case "":
	case "url":
		p.encode, p.encodingType = s3URLEncode, "url"
	default:
		return p, ErrInvalidArgument.WithMessage("Invalid Encoding Method specified in Request").WithDetail("encoding-type %q: only \"url\" is defined.", truncate(et, 50))
	}
	return p, nil
}

// parseMax parses a max-keys style parameter: absent means limit, larger
// values are capped at limit, negative or non-numeric values are refused.
func parseMax(q url.Values, name string, limit int) (int, error) {
	if !q.Has(name) {
		return limit, nil
	}
	v := q.Get(name)
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		if len(v) > 0 && err != nil && strings.Trim(v, "0123456789") == "" {
			return limit, nil // a huge number: capped
		}
		// S3's two sentences: one for what is no integer, one for a
		// negative number (which names max-keys "maxKeys").
		if err != nil {
			return 0, ErrInvalidArgument.WithMessage("Provided %s not an integer or within integer range", name).WithDetail("%s %q.", name, truncate(v, 50))
		}
		arg := name
		if name == "max-keys" {
			arg = "maxKeys"
		}
		return 0, ErrInvalidArgument.WithMessage("Argument %s must be an integer between 0 and 2147483647", arg).WithDetail("%s %q.", name, truncate(v, 50))
	}
	return min(n, limit), nil
}

// s3URLEncode is the encoding of encoding-type=url: everything but
// unreserved characters and "/" is percent-encoded, a space as "%20" as S3
// sends it (botocore form-unescapes, other SDKs path-unescape; "%20" reads
// the same to both, "+" does not).
func s3URLEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9',
			c == '-', c == '_', c == '.', c == '~', c == '/':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

// list calls the Service, or for max-keys=0 only checks the bucket (an
// empty page, not truncated, as S3 answers).
func (rq *request) list(p listParams, after string) (*ListObjectsOutput, error) {
	if p.maxKeys == 0 {
		if err := rq.h.svc.HeadBucket(rq.r.Context(), rq.bucket); err != nil {
			return nil, err
		}
		return &ListObjectsOutput{}, nil
	}
	out, err := rq.h.svc.ListObjects(rq.r.Context(), &ListObjectsInput{
		Bucket:    rq.bucket,
		Prefix:    p.prefix,
		Delimiter: p.delimiter,
		After:     after,
		MaxKeys:   p.maxKeys,
	})
	if err != nil {
		return nil, err
	}
	if out.IsTruncated && out.NextAfter == "" {
		// Paging must never stall: fall back to the last entry.
		out.NextAfter = lastEntry(out)
	}
	return out, nil
}

func lastEntry(out *ListObjectsOutput) string {
	last := ""
	if n := len(out.Objects); n > 0 {
		last = out.Objects[n-1].Key
	}
	if n := len(out.CommonPrefixes); n > 0 && out.CommonPrefixes[n-1] > last {
		last = out.CommonPrefixes[n-1]
	}
	return last
}

func (rq *request) objectEntries(objs []ObjectInfo, enc func(string) string, withOwner bool) []objectXML {
	var o *owner
	if withOwner {
		ow := rq.owner()
		o = &ow
	}
	res := make([]objectXML, 0, len(objs))
	for i := range objs {
		info := &objs[i]
		res = append(res, objectXML{
			Key:               enc(info.Key),
			LastModified:      timeISO(info.LastModified),
			ETag:              quoteETag(info.ETag),
			Size:              info.Size,
			StorageClass:      "STANDARD",
			Owner:             o,
			ChecksumAlgorithm: checksumAlgorithms(info.Checksums),
			ChecksumType:      checksumType(info),
		})
	}
	return res
}

func checksumAlgorithms(cs Checksums) []string {
	if len(cs) == 0 {
		return nil
	}
	algs := make([]string, 0, len(cs))
	for a := range cs {
		algs = append(algs, a)
	}
	sort.Strings(algs)
	return algs
}

func checksumType(info *ObjectInfo) string {
	if len(info.Checksums) == 0 {
		return ""
	}
	if info.ChecksumType != "" {
		return info.ChecksumType
	}
	return ChecksumTypeFullObject
}

func prefixEntries(ps []string, enc func(string) string) []commonPrefix {
	res := make([]commonPrefix, 0, len(ps))
	for _, p := range ps {
		res = append(res, commonPrefix{Prefix: enc(p)})
	}
	return res
}

// listObjectsV1 answers GET /bucket (ListObjects). NextMarker is sent
// whenever the page is truncated, even without a delimiter (S3 omits it
// then, but xbcloud and others page with it).
func (rq *request) listObjectsV1() error {
	p, err := parseListParams(rq.q, "max-keys")
	if err != nil {
		return err
	}
	marker := rq.q.Get("marker")
	out, err := rq.list(p, marker)
	if err != nil {
		return err
	}
	res := listBucketResultV1{
		Xmlns:        s3Namespace,
		Name:         rq.bucket,
		Prefix:       p.prefix, // v1 sends the prefix as given; botocore does not decode it
		Marker:       p.encode(marker),
		MaxKeys:      p.maxKeys,
		Delimiter:    p.encode(p.delimiter),
		IsTruncated:  out.IsTruncated,
		EncodingType: p.encodingType,
		Contents:     rq.objectEntries(out.Objects, p.encode, true),
		Prefixes:     prefixEntries(out.CommonPrefixes, p.encode),
	}
	if out.IsTruncated {
		res.NextMarker = p.encode(out.NextAfter)
	}
	rq.writeXML(http.StatusOK, &res)
	return nil
}

// listObjectsV2 answers GET /bucket?list-type=2. The continuation token is
// the base64url form of the last key or prefix of the previous page: opaque
// to clients, stateless for the server.
func (rq *request) listObjectsV2() error {
	p, err := parseListParams(rq.q, "max-keys")
	if err != nil {
		return err
	}
	startAfter := rq.q.Get("start-after")
	after := startAfter
	token := rq.q.Get("continuation-token")
	if rq.q.Has("continuation-token") {
		k, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || token == "" {
			return ErrInvalidArgument.WithMessage("The continuation token provided is incorrect.")
		}
		after = string(k)
	}
	out, err := rq.list(p, after)
	if err != nil {
		return err
	}
	res := listBucketResultV2{
		Xmlns:             s3Namespace,
		Name:              rq.bucket,
		Prefix:            p.encode(p.prefix),
		Delimiter:         p.encode(p.delimiter),
		MaxKeys:           p.maxKeys,
		KeyCount:          len(out.Objects) + len(out.CommonPrefixes),
		IsTruncated:       out.IsTruncated,
		EncodingType:      p.encodingType,
		ContinuationToken: token,
		StartAfter:        p.encode(startAfter),
		Contents:          rq.objectEntries(out.Objects, p.encode, rq.q.Get("fetch-owner") == "true"),
		Prefixes:          prefixEntries(out.CommonPrefixes, p.encode),
	}
	if out.IsTruncated {
		res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(out.NextAfter))
	}
	rq.writeXML(http.StatusOK, &res)
	return nil
}

// listObjectVersions answers GET /bucket?versions. Buckets are not
// versioned, so each object is its own only version, "null", and the
// latest; paging uses the key marker alone.
func (rq *request) listObjectVersions() error {
	p, err := parseListParams(rq.q, "max-keys")
	if err != nil {
		return err
	}
	keyMarker := rq.q.Get("key-marker")
	vidMarker := rq.q.Get("version-id-marker")
	if vidMarker != "" && keyMarker == "" {
		return ErrInvalidArgument.WithMessage("A version-id marker cannot be specified without a key marker.")
	}
	if vidMarker != "" {
		if err := checkVersionSyntax(vidMarker); err != nil {
			return err
		}
	}
	if v := rq.versioning(); v != nil {
		return rq.listVersions(v, p, keyMarker, vidMarker)
	}
	out, err := rq.list(p, keyMarker)
	if err != nil {
		return err
	}
	// Each object is its own only version, "null", and the latest.
	page := &ListVersionsOutput{
		Versions:       make([]VersionInfo, 0, len(out.Objects)),
		CommonPrefixes: out.CommonPrefixes,
		IsTruncated:    out.IsTruncated,
	}
	for _, info := range out.Objects {
		page.Versions = append(page.Versions, VersionInfo{ObjectInfo: info, VersionID: "null", IsLatest: true})
	}
	if out.IsTruncated {
		page.NextKeyMarker, page.NextVersionIDMarker = out.NextAfter, "null"
	}
	return rq.writeVersions(p, keyMarker, vidMarker, page)
}
