package testharness

import (
	"bytes"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
)

// TestPostObjectPolicyConditions: a form upload carries the condition keys
// S3 gives it — s3:authType "POST", s3:signatureversion AWS4-HMAC-SHA256,
// the browser's Referer and User-Agent — so a bucket policy that denies
// form uploads, or uploads from a referring page, binds them, and one
// that requires SigV4 lets them through.
func TestPostObjectPolicyConditions(t *testing.T) {
	t.Parallel()
	const b = "post-conditions"
	admin := NewUser("admin", "admin")
	users := WriteUsersFile(t, filepath.Join(t.TempDir(), "users.json"), admin)
	g := Start(t, Options{NoFsync: true, Args: []string{"--users", users}})
	ac := UserS3Client(t, g, admin, S3Options{})
	if _, err := ac.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatal(err)
	}
	mc := MinioClient(t, g, func(o *minio.Options) { o.Creds = miniocreds.NewStaticV4(admin.AccessKey, admin.SecretKey, "") })
	form := func() map[string]string {
		return presignPost(t, mc, func(p *minio.PostPolicy) { p.SetBucket(b); p.SetKey("k") })
	}
	setPolicy := func(effect, cond string) {
		t.Helper()
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"` + effect + `","Principal":"*","Action":"s3:PutObject",` +
			`"Resource":"arn:aws:s3:::` + b + `/*","Condition":` + cond + `}]}`
		if _, err := ac.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String(b), Policy: aws.String(doc)}); err != nil {
			t.Fatalf("PutBucketPolicy %s: %v", cond, err)
		}
	}
	post := func(hdr http.Header) int {
		resp, body := postFormWith(t, g, b, hdr, form(), "f", []byte("data"))
		if resp.StatusCode != 204 && !bytes.Contains(body, []byte("AccessDenied")) {
			t.Errorf("POST: %d %s", resp.StatusCode, body)
		}
		return resp.StatusCode
	}

	setPolicy("Deny", `{"StringEquals":{"s3:authType":"POST"}}`)
	if st := post(nil); st != 403 {
		t.Errorf("form upload under a Deny of s3:authType POST: %d, want 403", st)
	}
	if _, err := ac.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Body: bytes.NewReader([]byte("x"))}); err != nil {
		t.Errorf("PUT under a Deny of form uploads: %v", err)
	}

	setPolicy("Deny", `{"StringLike":{"aws:Referer":"https://evil.example/*"}}`)
	if st := post(http.Header{"Referer": {"https://evil.example/page"}}); st != 403 {
		t.Errorf("form upload from a denied Referer: %d, want 403", st)
	}
	if st := post(http.Header{"Referer": {"https://good.example/page"}}); st != 204 {
		t.Errorf("form upload from another Referer: %d, want 204", st)
	}

	setPolicy("Deny", `{"StringNotEquals":{"s3:signatureversion":"AWS4-HMAC-SHA256"}}`)
	if st := post(nil); st != 204 {
		t.Errorf("SigV4 form upload under a Deny of other signature versions: %d, want 204", st)
	}
}
