package testharness

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"envelopegw/backend/s3/s3test"
)

// TestBucketPolicy: Put/Get/DeleteBucketPolicy with aws-sdk-go-v2 on a
// volume, and the policy's effect on an admin and on a user whose own
// policies grant nothing.
func TestBucketPolicy(t *testing.T) {
	t.Parallel()
	rest := NewUser("rest", "restore")
	rest.Buckets = []string{"elsewhere-*"} // its own policies grant nothing on the test's buckets
	users := WriteUsersFile(t, filepath.Join(t.TempDir(), "users.json"), rest)
	g := Start(t, Options{NoFsync: true, Args: []string{"--users", users}})
	testBucketPolicy(t, S3Client(t, g, S3Options{}), UserS3Client(t, g, rest, S3Options{}), rest, "pol-posix")
}

// TestBucketPolicyUpstream: the same with `serve --upstream`, and a
// policy put through one gateway binds the other sharing the upstream at
// once.
func TestBucketPolicyUpstream(t *testing.T) {
	t.Parallel()
	srv := s3test.SharedMinIO(t)
	rest := NewUser("rest", "restore")
	rest.Buckets = []string{"elsewhere-*"}
	users := WriteUsersFile(t, filepath.Join(t.TempDir(), "users.json"), rest)
	args := []string{"--users", users}
	g1 := Start(t, Options{Upstream: srv, Args: args})
	g2 := Start(t, Options{Upstream: srv, Share: g1, Args: args})
	a1, a2 := S3Client(t, g1, S3Options{}), S3Client(t, g2, S3Options{})
	testBucketPolicy(t, a1, UserS3Client(t, g2, rest, S3Options{}), rest, "pol-upstream")

	const b = "pol-shared"
	bpCreate(t, a1, b)
	bpPut(t, a2, b, "k", "v")
	bpPutPolicy(t, a1, b, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::`+b+`/*"}]}`)
	_, err := a2.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k")})
	wantAPIError(t, err, "AccessDenied", 403)
}

func testBucketPolicy(t *testing.T, admin, user *s3.Client, u User, b string) {
	t.Helper()
	bpCreate(t, admin, b)
	for _, k := range []string{"home/a", "secret/b"} {
		bpPut(t, admin, b, k, "data of "+k)
	}

	// No policy yet; none for a missing bucket either.
	_, err := admin.GetBucketPolicy(ctx(t), &s3.GetBucketPolicyInput{Bucket: aws.String(b)})
	wantAPIError(t, err, "NoSuchBucketPolicy", 404)
	_, err = admin.GetBucketPolicy(ctx(t), &s3.GetBucketPolicyInput{Bucket: aws.String(b + "-missing")})
	wantAPIError(t, err, "NoSuchBucket", 404)
	if _, err := admin.DeleteBucketPolicy(ctx(t), &s3.DeleteBucketPolicyInput{Bucket: aws.String(b)}); err != nil {
		t.Fatalf("DeleteBucketPolicy without a policy: %v", err)
	}

	// Malformed policies are refused with S3's messages and store nothing.
	arn := "arn:aws:s3:::" + b
	for doc, msg := range map[string]string{
		`{"Statement": [`: "This policy contains invalid Json",
		`not json`:        "Policies must be valid JSON and the first byte must be '{'",
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:Fly","Resource":"` + arn + `/*"}]}`:                                    "Policy has invalid action",
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}`:                       "Policy has invalid resource",
		`{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"` + arn + `/*"}]}`:                                              "Missing required field Principal",
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"NOSUCHKEY"},"Action":"s3:GetObject","Resource":"` + arn + `/*"}]}`:              "Invalid principal in policy",
		`{"Statement":[` + strings.Repeat(`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"`+arn+`/*"},`, 300) + `{}]}`: "Normalized policy document exceeds the maximum allowed size of 20480 bytes",
	} {
		_, err := admin.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String(b), Policy: aws.String(doc)})
		wantAPIError(t, err, "MalformedPolicy", 400)
		var ae smithy.APIError
		if errors.As(err, &ae); ae.ErrorMessage() != msg {
			t.Errorf("%.60s: message %q, want %q", doc, ae.ErrorMessage(), msg)
		}
	}
	// A condition on a key no request here carries would never hold: 501.
	_, err = admin.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String(b),
		Policy: aws.String(`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"` + arn + `/*","Condition":{"StringEquals":{"s3:ExistingObjectTag/class":"secret"}}}]}`)})
	wantAPIError(t, err, "NotImplemented", 501)
	// A public grant is refused as S3 refuses it under Block Public Access.
	_, err = admin.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String(b),
		Policy: aws.String(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"` + arn + `/*"}]}`)})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = admin.GetBucketPolicy(ctx(t), &s3.GetBucketPolicyInput{Bucket: aws.String(b)})
	wantAPIError(t, err, "NoSuchBucketPolicy", 404)

	// The restore user may read home/ and nothing else; nobody deletes.
	doc := `{"Version":"2012-10-17","Statement":[
  {"Sid":"RestoreHome","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/rest"},"Action":"s3:GetObject","Resource":"` + arn + `/home/*"},
  {"Sid":"NoPolicyAdmin","Effect":"Allow","Principal":{"AWS":"` + u.AccessKey + `"},"Action":["s3:PutBucketPolicy","s3:DeleteBucketPolicy"],"Resource":"` + arn + `"},
  {"Sid":"NoDeletes","Effect":"Deny","Principal":"*","Action":["s3:DeleteObject","s3:DeleteObjectVersion"],"Resource":"` + arn + `/*"}]}`
	bpPutPolicy(t, admin, b, doc)
	got, err := admin.GetBucketPolicy(ctx(t), &s3.GetBucketPolicyInput{Bucket: aws.String(b)})
	if err != nil || aws.ToString(got.Policy) != doc {
		t.Fatalf("GetBucketPolicy: %v, %q", err, aws.ToString(got.Policy))
	}
	st, err := admin.GetBucketPolicyStatus(ctx(t), &s3.GetBucketPolicyStatusInput{Bucket: aws.String(b)})
	if err != nil || st.PolicyStatus == nil || aws.ToBool(st.PolicyStatus.IsPublic) {
		t.Fatalf("GetBucketPolicyStatus: %v %+v", err, st)
	}

	if body := bpGet(t, user, b, "home/a"); body != "data of home/a" {
		t.Fatalf("GET home/a as the restore user: %q", body)
	}
	_, err = user.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("secret/b")})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = user.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String(b)})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = user.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("home/new"), Body: bytes.NewReader([]byte("x"))})
	wantAPIError(t, err, "AccessDenied", 403)
	// The policy cannot make the user an administrator of the policy.
	_, err = user.DeleteBucketPolicy(ctx(t), &s3.DeleteBucketPolicyInput{Bucket: aws.String(b)})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = user.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String(b), Policy: aws.String(doc)})
	wantAPIError(t, err, "AccessDenied", 403)

	// The Deny binds the admin: no delete, single or multi.
	_, err = admin.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("home/a")})
	wantAPIError(t, err, "AccessDenied", 403)
	out, err := admin.DeleteObjects(ctx(t), &s3.DeleteObjectsInput{Bucket: aws.String(b),
		Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("home/a")}, {Key: aws.String("secret/b")}}}})
	if err != nil || len(out.Errors) != 2 || len(out.Deleted) != 0 || aws.ToString(out.Errors[0].Code) != "AccessDenied" {
		t.Fatalf("DeleteObjects under a Deny: %v %+v", err, out)
	}
	bpGet(t, admin, b, "secret/b")

	// The admin keeps the power to remove the policy; then deletes work
	// and the restore user's grant is gone.
	if _, err := admin.DeleteBucketPolicy(ctx(t), &s3.DeleteBucketPolicyInput{Bucket: aws.String(b)}); err != nil {
		t.Fatalf("DeleteBucketPolicy: %v", err)
	}
	_, err = user.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("home/a")})
	wantAPIError(t, err, "AccessDenied", 403)
	if _, err := admin.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("home/a")}); err != nil {
		t.Fatalf("DeleteObject after DeleteBucketPolicy: %v", err)
	}

	// Even a policy denying every S3 action to everyone leaves the admin
	// able to read and remove it.
	bpPutPolicy(t, admin, b, `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["`+arn+`","`+arn+`/*"]}]}`)
	_, err = admin.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String(b)})
	wantAPIError(t, err, "AccessDenied", 403)
	if _, err := admin.GetBucketPolicy(ctx(t), &s3.GetBucketPolicyInput{Bucket: aws.String(b)}); err != nil {
		t.Fatalf("GetBucketPolicy under Deny s3:*: %v", err)
	}
	if _, err := admin.DeleteBucketPolicy(ctx(t), &s3.DeleteBucketPolicyInput{Bucket: aws.String(b)}); err != nil {
		t.Fatalf("DeleteBucketPolicy under Deny s3:*: %v", err)
	}
	if _, err := admin.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: aws.String(b)}); err != nil {
		t.Fatalf("ListObjectsV2 after removing the Deny: %v", err)
	}
}

func bpCreate(t *testing.T, c *s3.Client, b string) {
	t.Helper()
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatalf("CreateBucket %s: %v", b, err)
	}
}

func bpPut(t *testing.T, c *s3.Client, b, k, body string) {
	t.Helper()
	if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(k), Body: strings.NewReader(body)}); err != nil {
		t.Fatalf("PutObject %s/%s: %v", b, k, err)
	}
}

func bpPutPolicy(t *testing.T, c *s3.Client, b, doc string) {
	t.Helper()
	if _, err := c.PutBucketPolicy(ctx(t), &s3.PutBucketPolicyInput{Bucket: aws.String(b), Policy: aws.String(doc)}); err != nil {
		t.Fatalf("PutBucketPolicy %s: %v", b, err)
	}
}

func bpGet(t *testing.T, c *s3.Client, b, k string) string {
	t.Helper()
	return string(get(t, c, b, k))
}

// TestBucketPolicyInvalidBucketName: looking for a policy of a bucket
// whose name is invalid finds none, so CreateBucket still answers
// InvalidBucketName (not AccessDenied).
func TestBucketPolicyInvalidBucketName(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	for _, name := range []string{"ab", "Bucket-Upper", "bucket..dots", "-bucket", "192.168.5.4"} {
		_, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String(name)})
		wantAPIError(t, err, "InvalidBucketName", 400)
	}
}
