package s3api

import (
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"time"

	"envelopegw/s3api/auth"
)

// Browser-form uploads (POST Object, "Browser-Based Uploads Using POST" in
// the S3 documentation). The signature is in the form, not in headers: a
// SigV4 signature over the base64 policy, whose conditions every form
// field must meet. Once the form verifies, the upload is an ordinary
// PutObject of the signer: the same authorization (s3:PutObject on the
// key), the same put path (storeObject: metadata, tags, checksums, object
// lock, conditional create), the same audit record.
//
// A form without any signature field is anonymous and refused
// (AccessDenied), as every anonymous request is; SigV2 forms
// (AWSAccessKeyId and signature) are refused with NotImplemented.

// The signature fields of a SigV4 form, in the order they are checked.
var postAuthFields = []string{"policy", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"}

// postFieldNames is how S3 spells a signature field in its errors.
var postFieldNames = map[string]string{
	"x-amz-algorithm":  "X-Amz-Algorithm",
	"x-amz-credential": "X-Amz-Credential",
	"x-amz-date":       "X-Amz-Date",
	"x-amz-signature":  "X-Amz-Signature",
}

func postMissingField(field string) *Error {
	if n, ok := postFieldNames[field]; ok {
		field = n
	}
	return ErrInvalidArgument.WithMessage("Bucket POST must contain a field named '%s'.  If it is specified, please check the order of the fields.", field).
		WithFields("ArgumentName", field)
}

func postBadCredential(cred, format string, args ...any) *Error {
	return ErrInvalidArgument.WithMessage(format, args...).WithFields("ArgumentName", "X-Amz-Credential", "ArgumentValue", cred)
}

// isPostObject reports whether the request is a browser-form upload:
// POST on a bucket with no sub-resource.
func (rq *request) isPostObject() bool {
	return rq.r.Method == http.MethodPost && rq.bucket != "" && rq.key == "" &&
		!rq.q.Has("delete") && rq.subresource() == ""
}

// servePostObject runs a browser-form upload in place of serve's
// header authentication and routing.
func (rq *request) servePostObject() {
	rq.op = OpPostObject
	if err := rq.postObject(); err != nil {
		rq.fail(rq.bodyError(err))
	}
}

func (rq *request) postObject() error {
	if !validExistingBucketName(rq.bucket) {
		return ErrInvalidBucketName.WithMessage("The specified bucket is not valid: %q.", truncate(rq.bucket, 100))
	}
	boundary, err := postBoundary(rq.r.Header)
	if err != nil {
		return err
	}
	form, err := readPostForm(rq.in, boundary)
	if err != nil {
		return err
	}
	if err := rq.postAuthenticate(form); err != nil {
		rq.op, rq.authFail = OpAuth, "post_form"
		return err
	}
	rq.in.authenticated()
	rq.routed = true
	rq.h.observe.Routed(rq.op)

	policy, err := parsePostPolicy(form.fields["policy"])
	if err != nil {
		return err
	}
	if !rq.h.now().Before(policy.expiration) {
		return policyRefused("Policy expired.")
	}
	minSize, maxSize, err := policy.check(form, rq.bucket)
	if err != nil {
		return err
	}
	key, ok := form.get("key")
	if !ok || key == "" {
		return postMissingField("key")
	}
	if form.file == nil {
		return ErrIncorrectNumberOfFilesInPostRequest
	}
	rq.key = strings.ReplaceAll(key, "${filename}", form.filename)
	if err := checkKey(rq.key); err != nil {
		return err
	}
	return rq.postStore(form, minSize, maxSize)
}

// postAuthenticate verifies the form's SigV4 signature and sets the
// request's access key.
func (rq *request) postAuthenticate(f *postForm) error {
	present := 0
	for _, k := range postAuthFields {
		if v, ok := f.get(k); ok && (v != "" || k == "policy") {
			present++
		}
	}
	if present == 0 {
		if _, v2 := f.get("awsaccesskeyid"); v2 {
			return ErrNotImplemented.WithMessage("Signature Version 2 POST forms are not supported; sign the policy with AWS4-HMAC-SHA256.")
		}
		return ErrAccessDenied.WithDetail("A POST form without a signature is anonymous; anonymous access is refused.")
	}
	for _, k := range postAuthFields {
		if v, ok := f.get(k); !ok || (v == "" && k != "policy") {
			return postMissingField(k)
		}
	}
	if alg := f.fields["x-amz-algorithm"]; alg != auth.Algorithm {
		return ErrInvalidArgument.WithMessage("Only AWS4-HMAC-SHA256 is supported").
			WithFields("ArgumentName", "X-Amz-Algorithm", "ArgumentValue", alg)
	}
	cred := f.fields["x-amz-credential"]
	ak, date, region, err := rq.postCredential(cred)
	if err != nil {
		return err
	}
	if d := f.fields["x-amz-date"]; !validAmzDate(d) {
		return ErrInvalidArgument.WithMessage("X-Amz-Date must be formated via ISO8601 Long format").
			WithFields("ArgumentName", "X-Amz-Date", "ArgumentValue", d)
	}
	rq.accessKey = ak
	secret, ok := rq.h.creds.SecretKey(ak)
	if !ok {
		return ErrInvalidAccessKeyID.WithFields("AWSAccessKeyId", ak)
	}
	policy, sig := f.fields["policy"], f.fields["x-amz-signature"]
	got, err := hex.DecodeString(sig)
	if err != nil || !auth.VerifyPostPolicy(secret, date, region, policy, got) {
		return ErrSignatureDoesNotMatch.WithFields(
			"AWSAccessKeyId", ak,
			"StringToSign", policy,
			"SignatureProvided", sig,
			"StringToSignBytes", spacedHex(policy))
	}
	return nil
}

// postCredential splits x-amz-credential, <access-key>/<yyyymmdd>/<region>/s3/aws4_request,
// and checks its scope against this endpoint.
func (rq *request) postCredential(cred string) (ak, date, region string, err error) {
	parts := strings.Split(cred, "/")
	if len(parts) < 5 || parts[0] == "" {
		return "", "", "", postBadCredential(cred, "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
	}
	n := len(parts)
	ak, date, region = strings.Join(parts[:n-4], "/"), parts[n-4], parts[n-3]
	if _, perr := time.Parse("20060102", date); perr != nil || len(date) != 8 {
		return "", "", "", postBadCredential(cred, "incorrect date format %q. This date in the credential must be in the format \"yyyyMMdd\".", date)
	}
	if region != rq.h.region {
		e := postBadCredential(cred, "the region '%s' is wrong; expecting '%s'", region, rq.h.region)
		return "", "", "", e.WithFields("Region", rq.h.region)
	}
	if parts[n-2] != "s3" {
		return "", "", "", postBadCredential(cred, "incorrect service %q. This endpoint belongs to \"s3\".", parts[n-2])
	}
	if parts[n-1] != "aws4_request" {
		return "", "", "", postBadCredential(cred, "incorrect terminal %q. This endpoint uses \"aws4_request\".", parts[n-1])
	}
	return ak, date, region, nil
}

func validAmzDate(s string) bool {
	_, err := time.Parse("20060102T150405Z", s)
	return err == nil
}

// spacedHex is S3's StringToSignBytes: each byte in hex, space-separated.
func spacedHex(s string) string {
	var b strings.Builder
	b.Grow(len(s) * 3)
	for i := 0; i < len(s); i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(hex.EncodeToString([]byte{s[i]}))
	}
	return b.String()
}

// postResponse is the document of success_action_status 201.
type postResponse struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Xmlns    string   `xml:"xmlns,attr"`
	Location string
	Bucket   string
	Key      string
	ETag     string
}

// postStore authorizes the upload as the signer's PutObject and stores it
// through the put path, the form's fields standing in for headers.
func (rq *request) postStore(f *postForm, minSize, maxSize int64) error {
	if err := rq.checkExpectedOwner(); err != nil {
		return err
	}
	h, err := postHeaders(f)
	if err != nil {
		return err
	}
	// The request headers policies and CORS read stay: Origin for a
	// browser's cross-origin upload (setCORSHeaders), User-Agent and
	// Referer for aws:UserAgent and aws:Referer, so that a policy
	// conditioned on them binds a form upload as it binds a PUT.
	for _, k := range []string{"Origin", "User-Agent", "Referer"} {
		if v := rq.r.Header.Get(k); v != "" {
			h.Set(k, v)
		}
	}
	r := rq.r.Clone(rq.r.Context())
	r.Header, r.ContentLength = h, -1
	rq.r = r
	if err := rejectUnsupportedHeaders(h, rq.lockHeadersAllowed()); err != nil {
		return err
	}
	if err := rq.authorize(); err != nil {
		return err
	}
	rq.authorized = true
	rq.setCORSHeaders()
	out, _, err := rq.storeObject(bodyOptions{
		maxSize:  rq.h.maxObject,
		tooLarge: ErrEntityTooLarge.WithMessage("Your proposed upload exceeds the maximum allowed object size of %d bytes.", rq.h.maxObject),
		src:      &postSizeReader{r: f.file, min: minSize, max: maxSize},
	})
	if err != nil || out == nil {
		return err
	}
	return rq.postAnswer(f, out)
}

// postAnswer answers a stored upload as the form asks: a redirect
// (success_action_redirect), or 200, 201 (with a PostResponse document)
// or the default 204 (success_action_status).
func (rq *request) postAnswer(f *postForm, out *PutObjectOutput) error {
	h := rq.w.Header()
	etag := quoteETag(out.ETag)
	loc := rq.objectURL()
	h.Set("ETag", etag)
	h.Set("Location", loc)
	rq.setVersionHeader(out.VersionID)
	if target := postRedirect(f); target != nil {
		q := target.Query()
		q.Set("bucket", rq.bucket)
		q.Set("key", rq.key)
		q.Set("etag", etag)
		target.RawQuery = q.Encode()
		h.Set("Location", target.String())
		rq.noContent(http.StatusSeeOther)
		return nil
	}
	switch v, _ := f.get("success_action_status"); v {
	case "200":
		rq.noContent(http.StatusOK)
	case "201":
		rq.writeXML(http.StatusCreated, &postResponse{Xmlns: s3Namespace, Location: loc, Bucket: rq.bucket, Key: rq.key, ETag: etag})
	default: // S3 answers 204 for an absent or unknown value
		rq.noContent(http.StatusNoContent)
	}
	return nil
}

// postRedirect returns the form's success_action_redirect (or the older
// redirect) when it is an absolute http(s) URL; S3 ignores any other.
func postRedirect(f *postForm) *url.URL {
	v, ok := f.get("success_action_redirect")
	if !ok {
		v, _ = f.get("redirect")
	}
	u, err := url.Parse(v)
	if v == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil
	}
	return u
}
