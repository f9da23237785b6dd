package s3api

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Object tags follow S3's rules: at most MaxObjectTags per object, keys of
// 1 to 128 and values of 0 to 256 Unicode characters made of letters,
// digits, white space and + - = . _ : / @, no duplicate keys, and no key
// starting with "aws:" (reserved for AWS). They arrive as x-amz-tagging
// (URL query form) on PutObject, CreateMultipartUpload and CopyObject
// (with x-amz-tagging-directive REPLACE), or as a Tagging document on
// PutObjectTagging; GET and HEAD report their number in
// x-amz-tagging-count. The Service stores them with the object's other
// metadata; GetObjectTagging lists them sorted by key, as S3 does.
//
// Bucket tags (bucket_tagging.go) follow the same rules for keys and
// values, with at most MaxBucketTags per bucket.

// Tag is one object tag.
type Tag struct{ Key, Value string }

// Tag limits, as S3 documents them.
const (
	MaxObjectTags     = 10
	MaxTagKeyLength   = 128 // Unicode characters
	MaxTagValueLength = 256 // Unicode characters
	maxTaggingBody    = 64 << 10
)

var (
	ErrInvalidTag   = newErr("InvalidTag", http.StatusBadRequest, "The tag provided was not a valid tag.")
	ErrNoSuchTagSet = newErr("NoSuchTagSet", http.StatusNotFound, "The TagSet does not exist")
)

// taggingDoc is the Tagging document of Get/PutObjectTagging.
type taggingDoc struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	TagSet  *struct {
		Tags []Tag `xml:"Tag"`
	} `xml:"TagSet"`
}

// validateTags applies S3's rules to an object's tags.
func validateTags(tags []Tag) error {
	if err := validateTagList(tags); err != nil {
		return err
	}
	if len(tags) > MaxObjectTags {
		// S3's code and sentence for this limit (observed on PutObject's
		// header and on PutObjectTagging).
		return ErrBadRequest.WithMessage("Object tags cannot be greater than %d", MaxObjectTags)
	}
	return nil
}

// validateTagList applies S3's rules for each tag and for duplicate keys,
// with S3's wording (a key or value too long is "invalid", as S3 says).
// S3 judges every tag before it counts them, so the callers check the
// count afterwards.
func validateTagList(tags []Tag) error {
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		switch {
		case t.Key == "", utf8.RuneCountInString(t.Key) > MaxTagKeyLength, !validTagText(t.Key):
			return ErrInvalidTag.WithMessage("The TagKey you have provided is invalid")
		case utf8.RuneCountInString(t.Value) > MaxTagValueLength, !validTagText(t.Value):
			return ErrInvalidTag.WithMessage("The TagValue you have provided is invalid")
		case strings.HasPrefix(t.Key, "aws:"):
			return ErrInvalidTag.WithMessage("Your TagKey cannot be prefixed with aws:")
		case seen[t.Key]:
			return ErrInvalidTag.WithMessage("Cannot provide multiple Tags with the same key")
		}
		seen[t.Key] = true
	}
	return nil
}

// validTagText reports whether s is valid UTF-8 of the characters S3
// allows in tags: letters, numbers, separators and _ . : / = + - @.
func validTagText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case unicode.IsLetter(r), unicode.IsNumber(r), unicode.In(r, unicode.Z):
		case strings.ContainsRune("_.:/=+-@", r):
		default:
			return false
		}
	}
	return true
}

// parseTaggingHeader reads x-amz-tagging ("k1=v1&k2=v2", URL-encoded).
// Absent or empty means no tags.
func parseTaggingHeader(h http.Header) ([]Tag, error) {
	v := h.Get("x-amz-tagging")
	if v == "" {
		return nil, nil
	}
	bad := ErrInvalidArgument.WithMessage("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
	var tags []Tag
	for _, pair := range strings.Split(v, "&") {
		if pair == "" {
			continue
		}
		// A pair is "key" or "key=value": an empty key or a second "="
		// is not the URL query form S3 asks for (it answers
		// "TagSet=[{Key=a,Value=b}]" with this error, not InvalidTag).
		k, val, _ := strings.Cut(pair, "=")
		if k == "" || strings.Contains(val, "=") {
			return nil, bad
		}
		k, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(val)
		if err1 != nil || err2 != nil {
			return nil, bad
		}
		for _, t := range tags {
			if t.Key == k {
				return nil, bad
			}
		}
		tags = append(tags, Tag{k, val})
	}
	if err := validateTags(tags); err != nil {
		return nil, err
	}
	return tags, nil
}

// parseTaggingDirective reads x-amz-tagging-directive of CopyObject.
func parseTaggingDirective(h http.Header) (replace bool, err error) {
	switch d := h.Get("x-amz-tagging-directive"); d {
	case "", "COPY":
		return false, nil
	case "REPLACE":
		return true, nil
	default:
		return false, ErrInvalidArgument.WithMessage("Unknown tagging directive.").WithDetail("%q is neither COPY nor REPLACE.", truncate(d, 64))
	}
}

// setTaggingCount reports the number of an object's tags, as S3 does on
// GET and HEAD (only when there are some).
func setTaggingCount(h http.Header, tags []Tag) {
	if len(tags) > 0 {
		h.Set("x-amz-tagging-count", strconv.Itoa(len(tags)))
	}
}

// getObjectTagging answers GET /bucket/key?tagging.
func (rq *request) getObjectTagging() error {
	vt, vid, err := rq.taggedVersion()
	if err != nil {
		return err
	}
	if vt != nil {
		return rq.getVersionTagging(vt, vid)
	}
	o, err := rq.h.svc.GetObject(rq.r.Context(), rq.bucket, rq.key)
	if err != nil {
		return err
	}
	tags := slices.Clone(o.Info().Tags)
	o.Close()
	rq.writeTagSet(tags)
	return nil
}

// writeTagSet answers a Tagging document with tags.
func (rq *request) writeTagSet(tags []Tag) {
	tags = slices.Clone(tags)
	// S3 lists a tag set sorted by key, whatever order it was given in
	// (conformance suites compare the lists as they are).
	slices.SortFunc(tags, func(a, b Tag) int { return strings.Compare(a.Key, b.Key) })
	doc := taggingDoc{Xmlns: s3Namespace}
	doc.TagSet = &struct {
		Tags []Tag `xml:"Tag"`
	}{Tags: tags}
	rq.writeXML(http.StatusOK, &doc)
}

// putObjectTagging answers PUT /bucket/key?tagging: the tag set replaces
// the object's tags, atomically and without rewriting its data.
func (rq *request) putObjectTagging() error {
	vt, vid, err := rq.taggedVersion()
	if err != nil {
		return err
	}
	tags, err := rq.readTaggingBody()
	if err != nil {
		return err
	}
	if vt != nil {
		return rq.putVersionTagging(vt, vid, tags, http.StatusOK)
	}
	if err := rq.h.svc.PutObjectTagging(rq.r.Context(), rq.bucket, rq.key, tags); err != nil {
		return err
	}
	rq.noContent(http.StatusOK)
	return nil
}

// deleteObjectTagging answers DELETE /bucket/key?tagging.
func (rq *request) deleteObjectTagging() error {
	vt, vid, err := rq.taggedVersion()
	if err != nil {
		return err
	}
	if vt != nil {
		return rq.putVersionTagging(vt, vid, nil, http.StatusNoContent)
	}
	if err := rq.h.svc.PutObjectTagging(rq.r.Context(), rq.bucket, rq.key, nil); err != nil {
		return err
	}
	rq.noContent(http.StatusNoContent)
	return nil
}

// readTaggingBody reads and validates a Tagging document.
func (rq *request) readTaggingBody() ([]Tag, error) {
	data, err := rq.requiredDocument("Tagging", maxTaggingBody, ErrMalformedXML)
	if err != nil {
		return nil, err
	}
	return parseTaggingXML(data)
}

// parseTaggingXML parses and validates a Tagging document of an object.
func parseTaggingXML(data []byte) ([]Tag, error) {
	tags, err := parseTaggingDoc(data)
	if err != nil {
		return nil, err
	}
	if err := validateTags(tags); err != nil {
		return nil, err
	}
	return tags, nil
}

// parseTaggingDoc parses a Tagging document. An empty TagSet is valid (no
// tags); a missing one is not.
func parseTaggingDoc(data []byte) ([]Tag, error) {
	var doc taggingDoc
	if err := xml.Unmarshal(bytes.TrimSpace(data), &doc); err != nil || doc.TagSet == nil {
		return nil, ErrMalformedXML
	}
	return doc.TagSet.Tags, nil
}

// writeTags checks the ACL headers of an object write (PutObject,
// CreateMultipartUpload) and returns the tags its x-amz-tagging sets.
func (rq *request) writeTags() ([]Tag, error) {
	if _, err := rq.checkACLHeaders(); err != nil {
		return nil, rq.aclRefusal(err)
	}
	tags, err := parseTaggingHeader(rq.r.Header)
	if err != nil {
		return nil, err
	}
	return tags, rq.mayTag(tags)
}

// mayTag asks, as AWS does, for s3:PutObjectTagging besides the write's
// own action when the write sets tags: a user allowed to upload but not
// to tag cannot tag through x-amz-tagging. A write that may only create
// (If-None-Match: *, or a create-only grant) asks with the condition
// s3:if-none-match = "*": its tags can only land on a new object, which
// lets a policy (the canned ingest role) allow tagging new backups
// without allowing PutObjectTagging on existing ones (tags drive
// lifecycle rules).
func (rq *request) mayTag(tags []Tag) error {
	if len(tags) == 0 || !rq.authzActive() {
		return nil
	}
	cond := rq.conditions()
	if rq.createOnly || rq.r.Header.Get("If-None-Match") == "*" {
		cond["s3:if-none-match"] = "*"
	}
	if !rq.check(OpPutObjectTagging.Action(), rq.bucket, rq.key, cond) {
		return ErrAccessDenied.WithMessage("Access Denied: setting tags needs %s.", OpPutObjectTagging.Action())
	}
	return nil
}

// copyTags checks the ACL headers of a CopyObject and returns its tagging
// directive and, under REPLACE, the tags of x-amz-tagging (under COPY S3
// ignores that header).
func (rq *request) copyTags() (replace bool, tags []Tag, err error) {
	if _, err := rq.checkACLHeaders(); err != nil {
		return false, nil, rq.aclRefusal(err)
	}
	if replace, err = parseTaggingDirective(rq.r.Header); err != nil || !replace {
		return false, nil, err
	}
	if tags, err = parseTaggingHeader(rq.r.Header); err != nil {
		return false, nil, err
	}
	return true, tags, rq.mayTag(tags)
}
