package testharness

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func md5hex(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }
func md5b64(b []byte) string { s := md5.Sum(b); return base64.StdEncoding.EncodeToString(s[:]) }

// TestSDKPutGetHeadDelete: the object round trip, ETag = MD5 of the
// plaintext, sizes, empty objects, overwrite and delete semantics.
func TestSDKPutGetHeadDelete(t *testing.T) {
	t.Parallel()
	forEachSDKModeAndUpstream(t, func(t *testing.T, e *sdkEnv) {
		c := e.c
		b := newBucket(t, c)
		for _, n := range []int{0, 1, 100, 64<<10 - 1, 64 << 10, 64<<10 + 1, 3<<20 + 17} {
			body := Data(uint64(n), n)
			key := "obj-" + string(rune('a'+n%26)) + "/" + strings.Repeat("x", n%7)
			out := put(t, c, b, key, body)
			if got, want := aws.ToString(out.ETag), quoted(md5hex(body)); got != want {
				t.Errorf("PutObject(%d bytes) ETag %s, want %s (MD5 of the plaintext)", n, got, want)
			}
			if got := get(t, c, b, key); !bytes.Equal(got, body) {
				t.Fatalf("GetObject(%d bytes) returned %d different bytes", n, len(got))
			}
			h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key})
			if err != nil {
				t.Fatalf("HeadObject: %v", err)
			}
			if aws.ToInt64(h.ContentLength) != int64(n) || aws.ToString(h.ETag) != quoted(md5hex(body)) {
				t.Errorf("HeadObject(%d bytes): length %d ETag %s", n, aws.ToInt64(h.ContentLength), aws.ToString(h.ETag))
			}
			if h.LastModified == nil || time.Since(*h.LastModified) > time.Hour || time.Until(*h.LastModified) > time.Minute {
				t.Errorf("HeadObject LastModified %v, want about now", h.LastModified)
			}
		}

		// Overwrite: the newer object wins, whole.
		put(t, c, b, "over", []byte("first version, longer"))
		put(t, c, b, "over", []byte("second"))
		if got := get(t, c, b, "over"); string(got) != "second" {
			t.Errorf("after overwrite got %q", got)
		}

		if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("over")}); err != nil {
			t.Fatalf("DeleteObject: %v", err)
		}
		_, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("over")})
		wantAPIError(t, err, "NoSuchKey", http.StatusNotFound)
		_, err = c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("over")})
		wantAPIError(t, err, "", http.StatusNotFound)
		// Deleting what does not exist succeeds, as in S3.
		if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("never-was")}); err != nil {
			t.Errorf("DeleteObject of a missing key: %v (S3 answers 204)", err)
		}
	})
}

// TestSDKMetadata: user metadata and the content headers survive the round
// trip; GET response-* parameters override them.
func TestSDKMetadata(t *testing.T) {
	t.Parallel()
	forEachSDKMode(t, func(t *testing.T, e *sdkEnv) {
		c := e.c
		b := newBucket(t, c)
		expires := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
		in := &s3.PutObjectInput{
			Bucket: &b, Key: aws.String("meta"), Body: strings.NewReader("payload"),
			ContentType:        aws.String("application/x-backup"),
			ContentEncoding:    aws.String("gzip"),
			ContentDisposition: aws.String(`attachment; filename="db.tar"`),
			ContentLanguage:    aws.String("en-GB"),
			CacheControl:       aws.String("no-cache"),
			Expires:            &expires,
			Metadata:           map[string]string{"color": "blue", "Mixed-Case": "Value With Spaces", "empty": ""},
		}
		if _, err := c.PutObject(ctx(t), in); err != nil {
			t.Fatalf("PutObject: %v", err)
		}
		wantMeta := map[string]string{"color": "blue", "mixed-case": "Value With Spaces", "empty": ""}
		check := func(what, ct, ce, cd, cl, cc string, exp *time.Time, meta map[string]string) {
			t.Helper()
			if ct != "application/x-backup" || ce != "gzip" || cd != `attachment; filename="db.tar"` || cl != "en-GB" || cc != "no-cache" {
				t.Errorf("%s: content headers type=%q encoding=%q disposition=%q language=%q cache=%q", what, ct, ce, cd, cl, cc)
			}
			if exp == nil || !exp.Equal(expires) {
				t.Errorf("%s: Expires %v, want %v", what, exp, expires)
			}
			if !maps.Equal(meta, wantMeta) {
				t.Errorf("%s: metadata %v, want %v", what, meta, wantMeta)
			}
		}
		h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("meta")})
		if err != nil {
			t.Fatal(err)
		}
		check("HEAD", aws.ToString(h.ContentType), aws.ToString(h.ContentEncoding), aws.ToString(h.ContentDisposition),
			aws.ToString(h.ContentLanguage), aws.ToString(h.CacheControl), h.Expires, h.Metadata)
		g, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("meta")})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(g.Body)
		g.Body.Close()
		if string(body) != "payload" {
			t.Errorf("GET body %q", body)
		}
		check("GET", aws.ToString(g.ContentType), aws.ToString(g.ContentEncoding), aws.ToString(g.ContentDisposition),
			aws.ToString(g.ContentLanguage), aws.ToString(g.CacheControl), g.Expires, g.Metadata)

		ov, err := c.GetObject(ctx(t), &s3.GetObjectInput{
			Bucket: &b, Key: aws.String("meta"),
			ResponseContentType:        aws.String("text/plain"),
			ResponseContentDisposition: aws.String("inline"),
			ResponseContentLanguage:    aws.String("fr"),
			ResponseCacheControl:       aws.String("max-age=60"),
			ResponseContentEncoding:    aws.String("identity"),
			ResponseExpires:            aws.Time(time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)),
		})
		if err != nil {
			t.Fatalf("GET with response-* overrides: %v", err)
		}
		io.Copy(io.Discard, ov.Body)
		ov.Body.Close()
		if aws.ToString(ov.ContentType) != "text/plain" || aws.ToString(ov.ContentDisposition) != "inline" ||
			aws.ToString(ov.ContentLanguage) != "fr" || aws.ToString(ov.CacheControl) != "max-age=60" ||
			aws.ToString(ov.ContentEncoding) != "identity" {
			t.Errorf("response-* overrides not applied: type=%q disposition=%q language=%q cache=%q encoding=%q",
				aws.ToString(ov.ContentType), aws.ToString(ov.ContentDisposition), aws.ToString(ov.ContentLanguage),
				aws.ToString(ov.CacheControl), aws.ToString(ov.ContentEncoding))
		}
		if ov.Expires == nil || !ov.Expires.Equal(time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)) {
			t.Errorf("response-expires not applied: %v", ov.Expires)
		}

		// A plain PUT gets a default content type.
		put(t, c, b, "plain", []byte("x"))
		h, err = c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("plain")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(h.ContentType) == "" {
			t.Errorf("object stored without Content-Type answers HEAD with none (S3: binary/octet-stream)")
		}
		if len(h.Metadata) != 0 {
			t.Errorf("object stored without metadata has %v", h.Metadata)
		}
	})
}

// TestSDKContentMD5: a correct Content-MD5 is accepted, a wrong one is
// BadDigest and stores nothing.
func TestSDKContentMD5(t *testing.T) {
	t.Parallel()
	forEachSDKMode(t, func(t *testing.T, e *sdkEnv) {
		c := e.c
		b := newBucket(t, c)
		body := Data(7, 200<<10)
		if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("good"), Body: bytes.NewReader(body), ContentMD5: aws.String(md5b64(body))}); err != nil {
			t.Fatalf("PutObject with correct Content-MD5: %v", err)
		}
		_, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("bad"), Body: bytes.NewReader(body), ContentMD5: aws.String(md5b64([]byte("other")))})
		wantAPIError(t, err, "BadDigest", http.StatusBadRequest)
		_, err = c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("bad")})
		wantAPIError(t, err, "", http.StatusNotFound)
		// A failed overwrite leaves the previous object intact.
		_, err = c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("good"), Body: strings.NewReader("replacement"), ContentMD5: aws.String(md5b64([]byte("other")))})
		wantAPIError(t, err, "BadDigest", http.StatusBadRequest)
		if got := get(t, c, b, "good"); !bytes.Equal(got, body) {
			t.Errorf("a rejected overwrite changed the object")
		}
		_, err = c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("bad"), Body: strings.NewReader("x"), ContentMD5: aws.String("not base64!")})
		wantAPIError(t, err, "InvalidDigest", http.StatusBadRequest)
	})
}

// TestSDKConditionals: If-Match, If-None-Match, If-Modified-Since and
// If-Unmodified-Since on GET and HEAD, with the precedence RFC 7232 and S3
// define.
func TestSDKConditionals(t *testing.T) {
	t.Parallel()
	forEachSDKMode(t, func(t *testing.T, e *sdkEnv) {
		c := e.c
		b := newBucket(t, c)
		body := []byte("conditional body")
		etag := quoted(md5hex(body))
		put(t, c, b, "k", body)
		past := time.Now().Add(-24 * time.Hour)
		future := time.Now().Add(24 * time.Hour)
		cases := []struct {
			name   string
			ifM    *string
			ifNM   *string
			ifMS   *time.Time
			ifUS   *time.Time
			status int
		}{
			{"If-Match hit", aws.String(etag), nil, nil, nil, 200},
			{"If-Match *", aws.String("*"), nil, nil, nil, 200},
			{"If-Match miss", aws.String(`"0123"`), nil, nil, nil, 412},
			{"If-None-Match hit", nil, aws.String(etag), nil, nil, 304},
			{"If-None-Match miss", nil, aws.String(`"0123"`), nil, nil, 200},
			{"If-Modified-Since past", nil, nil, &past, nil, 200},
			{"If-Modified-Since future", nil, nil, &future, nil, 304},
			{"If-Unmodified-Since past", nil, nil, nil, &past, 412},
			{"If-Unmodified-Since future", nil, nil, nil, &future, 200},
			// If-Match that holds overrides a failing If-Unmodified-Since.
			{"If-Match hit + If-Unmodified-Since past", aws.String(etag), nil, nil, &past, 200},
			// If-None-Match that fails overrides a passing If-Modified-Since.
			{"If-None-Match hit + If-Modified-Since past", nil, aws.String(etag), &past, nil, 304},
		}
		for _, tc := range cases {
			g, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("k"),
				IfMatch: tc.ifM, IfNoneMatch: tc.ifNM, IfModifiedSince: tc.ifMS, IfUnmodifiedSince: tc.ifUS})
			status := 200
			if err != nil {
				status = httpStatus(err)
			} else {
				got, _ := io.ReadAll(g.Body)
				g.Body.Close()
				if !bytes.Equal(got, body) {
					t.Errorf("GET %s: body %q", tc.name, got)
				}
			}
			if status != tc.status {
				t.Errorf("GET %s: status %d (%v), want %d", tc.name, status, err, tc.status)
			}
			if tc.status == 412 && err != nil {
				wantAPIError(t, err, "PreconditionFailed", 412)
			}
			_, err = c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("k"),
				IfMatch: tc.ifM, IfNoneMatch: tc.ifNM, IfModifiedSince: tc.ifMS, IfUnmodifiedSince: tc.ifUS})
			status = 200
			if err != nil {
				status = httpStatus(err)
			}
			if status != tc.status {
				t.Errorf("HEAD %s: status %d (%v), want %d", tc.name, status, err, tc.status)
			}
		}
	})
}

// TestSDKDeleteObjects: multi-object delete, verbose and quiet, with keys
// that exist and keys that do not.
func TestSDKDeleteObjects(t *testing.T) {
	t.Parallel()
	forEachSDKMode(t, func(t *testing.T, e *sdkEnv) {
		c := e.c
		b := newBucket(t, c)
		keys := []string{"d/1", "d/2", "d/3 with space", "d/ü", "keep"}
		for _, k := range keys {
			put(t, c, b, k, []byte(k))
		}
		out, err := c.DeleteObjects(ctx(t), &s3.DeleteObjectsInput{Bucket: &b, Delete: &types.Delete{Objects: []types.ObjectIdentifier{
			{Key: aws.String("d/1")}, {Key: aws.String("d/3 with space")}, {Key: aws.String("d/ü")}, {Key: aws.String("d/missing")},
		}}})
		if err != nil {
			t.Fatalf("DeleteObjects: %v", err)
		}
		var deleted []string
		for _, d := range out.Deleted {
			deleted = append(deleted, aws.ToString(d.Key))
		}
		slices.Sort(deleted)
		if want := []string{"d/1", "d/3 with space", "d/missing", "d/ü"}; !slices.Equal(deleted, want) {
			t.Errorf("DeleteObjects Deleted %q, want %q", deleted, want)
		}
		if len(out.Errors) != 0 {
			t.Errorf("DeleteObjects Errors %+v", out.Errors)
		}
		out, err = c.DeleteObjects(ctx(t), &s3.DeleteObjectsInput{Bucket: &b, Delete: &types.Delete{Quiet: aws.Bool(true),
			Objects: []types.ObjectIdentifier{{Key: aws.String("d/2")}}}})
		if err != nil {
			t.Fatalf("DeleteObjects quiet: %v", err)
		}
		if len(out.Deleted) != 0 || len(out.Errors) != 0 {
			t.Errorf("quiet DeleteObjects reported %+v %+v", out.Deleted, out.Errors)
		}
		l, err := c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: &b})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Contents) != 1 || aws.ToString(l.Contents[0].Key) != "keep" {
			t.Errorf("after DeleteObjects the bucket holds %d objects, want only keep", len(l.Contents))
		}
		_, err = c.DeleteObjects(ctx(t), &s3.DeleteObjectsInput{Bucket: aws.String("no-such-bucket-here"), Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("x")}}}})
		wantAPIError(t, err, "NoSuchBucket", http.StatusNotFound)
	})
}

// copySource is the x-amz-copy-source value for bucket/key.
func copySource(bucket, key string) string {
	return bucket + "/" + escapeKey(key)
}

// TestSDKCopyObject: copies within and across buckets, metadata COPY and
// REPLACE, self-copy rules, source conditions and errors.
func TestSDKCopyObject(t *testing.T) {
	t.Parallel()
	forEachSDKMode(t, func(t *testing.T, e *sdkEnv) {
		c := e.c
		b1, b2 := newBucket(t, c), newBucket(t, c)
		body := Data(11, 1<<20+5)
		src := "src/ünï code + key"
		if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b1, Key: &src, Body: bytes.NewReader(body),
			ContentType: aws.String("application/x-src"), Metadata: map[string]string{"origin": "src"}}); err != nil {
			t.Fatal(err)
		}
		for _, dst := range []struct{ bucket, key string }{{b1, "copy/same-bucket"}, {b2, "copy/other bucket"}} {
			out, err := c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &dst.bucket, Key: &dst.key, CopySource: aws.String(copySource(b1, src))})
			if err != nil {
				t.Fatalf("CopyObject to %s/%s: %v", dst.bucket, dst.key, err)
			}
			if out.CopyObjectResult == nil || aws.ToString(out.CopyObjectResult.ETag) != quoted(md5hex(body)) || out.CopyObjectResult.LastModified == nil {
				t.Errorf("CopyObject result %+v, want ETag %s and LastModified", out.CopyObjectResult, quoted(md5hex(body)))
			}
			if got := get(t, c, dst.bucket, dst.key); !bytes.Equal(got, body) {
				t.Fatalf("copy %s/%s differs from its source", dst.bucket, dst.key)
			}
			h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &dst.bucket, Key: &dst.key})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(h.ContentType) != "application/x-src" || h.Metadata["origin"] != "src" {
				t.Errorf("COPY directive lost metadata: %q %v", aws.ToString(h.ContentType), h.Metadata)
			}
		}

		_, err := c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b2, Key: aws.String("replaced"), CopySource: aws.String(copySource(b1, src)),
			MetadataDirective: types.MetadataDirectiveReplace, ContentType: aws.String("text/x-new"), Metadata: map[string]string{"fresh": "yes"}})
		if err != nil {
			t.Fatalf("CopyObject REPLACE: %v", err)
		}
		h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b2, Key: aws.String("replaced")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(h.ContentType) != "text/x-new" || !maps.Equal(h.Metadata, map[string]string{"fresh": "yes"}) {
			t.Errorf("REPLACE directive: content type %q metadata %v", aws.ToString(h.ContentType), h.Metadata)
		}

		// Copying an object onto itself is how S3 clients change metadata;
		// it needs REPLACE.
		_, err = c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b1, Key: &src, CopySource: aws.String(copySource(b1, src))})
		wantAPIError(t, err, "InvalidRequest", http.StatusBadRequest)
		if _, err := c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b1, Key: &src, CopySource: aws.String(copySource(b1, src)),
			MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"origin": "updated"}}); err != nil {
			t.Fatalf("self-copy with REPLACE: %v", err)
		}
		h, err = c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b1, Key: &src})
		if err != nil {
			t.Fatal(err)
		}
		if h.Metadata["origin"] != "updated" {
			t.Errorf("self-copy REPLACE: metadata %v", h.Metadata)
		}
		if got := get(t, c, b1, src); !bytes.Equal(got, body) {
			t.Errorf("self-copy changed the data")
		}

		_, err = c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b2, Key: aws.String("x"), CopySource: aws.String(copySource(b1, "missing"))})
		wantAPIError(t, err, "NoSuchKey", http.StatusNotFound)
		_, err = c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b2, Key: aws.String("x"), CopySource: aws.String(copySource("no-such-bucket-here", "k"))})
		wantAPIError(t, err, "NoSuchBucket", http.StatusNotFound)
		_, err = c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: aws.String("no-such-bucket-here"), Key: aws.String("x"), CopySource: aws.String(copySource(b1, src))})
		wantAPIError(t, err, "NoSuchBucket", http.StatusNotFound)
		_, err = c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b2, Key: aws.String("x"), CopySource: aws.String(copySource(b1, src)), CopySourceIfMatch: aws.String(`"0123"`)})
		wantAPIError(t, err, "PreconditionFailed", http.StatusPreconditionFailed)
		_, err = c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b2, Key: aws.String("x"), CopySource: aws.String(copySource(b1, src)), CopySourceIfNoneMatch: aws.String(quoted(md5hex(body)))})
		wantAPIError(t, err, "PreconditionFailed", http.StatusPreconditionFailed)
		_, err = c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b2, Key: aws.String("x")})
		wantAPIError(t, err, "", http.StatusNotFound)
		if _, err := c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b2, Key: aws.String("x"), CopySource: aws.String(copySource(b1, src)), CopySourceIfMatch: aws.String(quoted(md5hex(body)))}); err != nil {
			t.Errorf("CopyObject with a matching x-amz-copy-source-if-match: %v", err)
		}
	})
}

// escapeProbe is a key that, resolved as a path from anywhere in the data
// dir, names a file in /tmp (not somewhere that matters if it ever worked).
var escapeProbe = strings.Repeat("../", 20) + "tmp/envelopegw-escape-probe-" + randHex(6)

// TestSDKKeyNames: keys with spaces, unicode, slashes, dots and dot-dots,
// percent and plus signs round-trip and list exactly, none escapes the
// bucket, and the 1024-byte limit holds.
func TestSDKKeyNames(t *testing.T) {
	t.Parallel()
	forEachSDKModeAndUpstream(t, func(t *testing.T, e *sdkEnv) {
		c := e.c
		b := newBucket(t, c)
		keys := []string{
			"with space", "  leading and trailing  ", "ünïcødé/日本語/ключ", "emoji 🔐", "a/b/c/d", "a//double", "/leading-slash",
			"trailing/", "..", "../escape", escapeProbe, "a/../b", "a/./b", ".", "./x", "x/..", "...",
			"%41 percent %2F", "plus+sign", "tilde~", "q?uery#hash", "semi;colon", "amp&er=sand", "star*", "back\\slash",
			"quote\"s'", "<xml>&", "tab\tkey", strings.Repeat("k", 1024), strings.Repeat("d/", 300) + "deep",
			strings.Repeat("é", 512), ".envelopegw", ".meta", "x.part", "_tmp",
		}
		for i, k := range keys {
			put(t, c, b, k, []byte(k+"|"+string(rune('0'+i%10))))
		}
		for i, k := range keys {
			if got := get(t, c, b, k); string(got) != k+"|"+string(rune('0'+i%10)) {
				t.Errorf("key %q: got %q", k, got)
			}
		}
		var listed []string
		p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &b, MaxKeys: aws.Int32(7)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatalf("ListObjectsV2: %v", err)
			}
			for _, o := range page.Contents {
				listed = append(listed, aws.ToString(o.Key))
			}
		}
		want := slices.Clone(keys)
		slices.Sort(want)
		if !slices.Equal(listed, want) {
			t.Errorf("listing of odd keys:\n got %q\nwant %q", listed, want)
		}

		// Nothing was written beside the data dir, nor where the deep
		// traversal key points.
		if _, err := os.Stat("/" + strings.TrimLeft(escapeProbe, "./")); err == nil || !os.IsNotExist(err) {
			t.Errorf("the key %q reached the file system outside the data dir", escapeProbe)
		}
		entries, err := os.ReadDir(filepath.Dir(e.g.DataDir))
		if err != nil {
			t.Fatal(err)
		}
		for _, en := range entries {
			switch en.Name() {
			case "data", "identity.txt", "identity.txt.pub", "recipient.txt", "serve.log", "cert.pem", "key.pem":
			default:
				t.Errorf("a key escaped the data dir: %s appeared beside it", en.Name())
			}
		}

		_, err = c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String(strings.Repeat("k", 1025)), Body: strings.NewReader("x")})
		wantAPIError(t, err, "KeyTooLongError", http.StatusBadRequest)

		for _, k := range keys {
			if _, err := c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: aws.String(k)}); err != nil {
				t.Errorf("DeleteObject %q: %v", k, err)
			}
		}
		l, err := c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: &b})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Contents) != 0 || len(l.CommonPrefixes) != 0 {
			t.Errorf("after deleting every key the bucket lists %d objects, %d prefixes", len(l.Contents), len(l.CommonPrefixes))
		}
		if _, err := c.DeleteBucket(ctx(t), &s3.DeleteBucketInput{Bucket: &b}); err != nil {
			t.Errorf("DeleteBucket after deleting every key: %v", err)
		}
	})
}
