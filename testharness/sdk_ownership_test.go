package testharness

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"envelopegw/backend/s3/s3test"
)

// TestSDKOwnershipControls: Put/Get/DeleteBucketOwnershipControls and
// CreateBucket's x-amz-object-ownership with the aws-sdk-go-v2 on the
// posix volume: the setting is stored and reported, and it decides how an
// ACL the gateway cannot hold is refused (ACLs disabled: 400
// AccessControlListNotSupported; enabled: 403 AccessDenied for a public
// one, as Block Public Access answers, 501 NotImplemented for a grant to
// anyone else). Owner-only ACLs succeed under every setting.
func TestSDKOwnershipControls(t *testing.T) {
	t.Parallel()
	ownershipRoundTrip(t, Start(t, Options{NoFsync: true}))
}

// TestUpstreamOwnershipControls: the same through a gateway on an
// upstream S3 server (MinIO): the setting lives in the gateway's
// configuration record there too.
func TestUpstreamOwnershipControls(t *testing.T) {
	t.Parallel()
	ownershipRoundTrip(t, Start(t, Options{Upstream: s3test.SharedMinIO(t)}))
}

func ownershipRoundTrip(t *testing.T, g *Gateway) {
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	get := func() (types.ObjectOwnership, error) {
		out, err := c.GetBucketOwnershipControls(ctx(t), &s3.GetBucketOwnershipControlsInput{Bucket: &b})
		if err != nil {
			return "", err
		}
		if len(out.OwnershipControls.Rules) != 1 {
			t.Fatalf("GetBucketOwnershipControls rules: %+v", out.OwnershipControls.Rules)
		}
		return out.OwnershipControls.Rules[0].ObjectOwnership, nil
	}
	put := func(o types.ObjectOwnership) {
		t.Helper()
		if _, err := c.PutBucketOwnershipControls(ctx(t), &s3.PutBucketOwnershipControlsInput{Bucket: &b,
			OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: o}}}}); err != nil {
			t.Fatalf("PutBucketOwnershipControls %s: %v", o, err)
		}
		if got, err := get(); err != nil || got != o {
			t.Fatalf("after PutBucketOwnershipControls %s: %s, %v", o, got, err)
		}
	}
	putObject := func(key string, acl types.ObjectCannedACL) error {
		_, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: &key, Body: bytes.NewReader([]byte("x")), ACL: acl})
		return err
	}
	// refusals checks the answers to ACLs beyond the owner, and that the
	// owner-only ones succeed.
	refusals := func(state, code string, status int) {
		t.Helper()
		if err := putObject("private", types.ObjectCannedACLPrivate); err != nil {
			t.Errorf("%s: PutObject private: %v", state, err)
		}
		if _, err := c.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: &b, ACL: types.BucketCannedACLPrivate}); err != nil {
			t.Errorf("%s: PutBucketAcl private: %v", state, err)
		}
		wantAPIError(t, putObject("public", types.ObjectCannedACLPublicRead), code, status)
		_, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("public")})
		wantAPIError(t, err, "", http.StatusNotFound)
		_, err = c.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: &b, GrantRead: aws.String(`uri="http://acs.amazonaws.com/groups/global/AuthenticatedUsers"`)})
		wantAPIError(t, err, code, status)
		acl, err := c.GetBucketAcl(ctx(t), &s3.GetBucketAclInput{Bucket: &b})
		if err != nil || len(acl.Grants) != 1 || acl.Grants[0].Permission != types.PermissionFullControl {
			t.Errorf("%s: GetBucketAcl after refusals: %+v, %v", state, acl, err)
		}
	}

	if got, err := get(); err != nil || got != types.ObjectOwnershipBucketOwnerEnforced {
		t.Fatalf("a new bucket's ownership: %s, %v", got, err)
	}
	refusals("BucketOwnerEnforced", "AccessControlListNotSupported", http.StatusBadRequest)

	put(types.ObjectOwnershipObjectWriter)
	refusals("ObjectWriter", "AccessDenied", http.StatusForbidden)
	_, err := c.PutObjectAcl(ctx(t), &s3.PutObjectAclInput{Bucket: &b, Key: aws.String("private"), GrantRead: aws.String(`id="someone-else"`)})
	wantAPIError(t, err, "NotImplemented", http.StatusNotImplemented)

	put(types.ObjectOwnershipBucketOwnerPreferred)
	refusals("BucketOwnerPreferred", "AccessDenied", http.StatusForbidden)
	aclForm(t, c, b)

	if _, err := c.DeleteBucketOwnershipControls(ctx(t), &s3.DeleteBucketOwnershipControlsInput{Bucket: &b}); err != nil {
		t.Fatalf("DeleteBucketOwnershipControls: %v", err)
	}
	_, err = get()
	wantAPIError(t, err, "OwnershipControlsNotFoundError", http.StatusNotFound)
	// S3's document names the bucket in <BucketName>.
	resp, body := rawDo(t, g, signed(t, g, "GET", "/"+b, url.Values{"ownershipControls": {""}}, nil, "", nil))
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "<BucketName>"+b+"</BucketName>") {
		t.Errorf("OwnershipControlsNotFoundError document: %d %s", resp.StatusCode, body)
	}
	refusals("no ownership controls", "AccessDenied", http.StatusForbidden)

	put(types.ObjectOwnershipBucketOwnerEnforced)
	refusals("BucketOwnerEnforced again", "AccessControlListNotSupported", http.StatusBadRequest)

	// CreateBucket: the ownership asked for is stored; a public ACL with
	// ACLs enabled creates nothing. The answer carries the bucket's ARN.
	w := b + "-w"
	out, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &w, ObjectOwnership: types.ObjectOwnershipObjectWriter, ACL: types.BucketCannedACLPrivate})
	if err != nil {
		t.Fatalf("CreateBucket ObjectWriter: %v", err)
	}
	if aws.ToString(out.BucketArn) != "arn:aws:s3:::"+w {
		t.Errorf("CreateBucket BucketArn %q", aws.ToString(out.BucketArn))
	}
	oc, err := c.GetBucketOwnershipControls(ctx(t), &s3.GetBucketOwnershipControlsInput{Bucket: &w})
	if err != nil || oc.OwnershipControls.Rules[0].ObjectOwnership != types.ObjectOwnershipObjectWriter {
		t.Errorf("ownership of a bucket created ObjectWriter: %+v, %v", oc, err)
	}
	p := b + "-p"
	_, err = c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &p, ObjectOwnership: types.ObjectOwnershipBucketOwnerPreferred, ACL: types.BucketCannedACLPublicReadWrite})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = c.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: &p})
	wantAPIError(t, err, "", http.StatusNotFound)
}

// aclForm: with ACLs enabled, a PutBucketAcl is judged on its form before
// what it grants, as S3 does: a canned ACL with grant headers is 400
// InvalidRequest, headers with a document 400 UnexpectedContent, and a
// document outside S3's schema 400 MalformedACLError.
func aclForm(t *testing.T, c *s3.Client, b string) {
	t.Helper()
	owner := aws.String(ownerIDOf(t, c))
	_, err := c.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: &b, ACL: types.BucketCannedACLPrivate, GrantRead: aws.String(`id="someone-else"`)})
	wantAPIError(t, err, "InvalidRequest", http.StatusBadRequest)
	grant := func(ge types.Grantee, p types.Permission) []types.Grant {
		return []types.Grant{{Grantee: &ge, Permission: p}}
	}
	ownerFull := grant(types.Grantee{Type: types.TypeCanonicalUser, ID: owner}, types.PermissionFullControl)
	_, err = c.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: &b, GrantFullControl: aws.String(`id="someone-else"`),
		AccessControlPolicy: &types.AccessControlPolicy{Owner: &types.Owner{ID: owner}, Grants: ownerFull}})
	wantAPIError(t, err, "UnexpectedContent", http.StatusBadRequest)
	// Each breaks S3's schema one way: no owner, an empty owner ID, an
	// unknown permission, an unknown grantee type, a user without an ID.
	for _, acp := range []types.AccessControlPolicy{
		{Grants: ownerFull},
		{Owner: &types.Owner{}, Grants: ownerFull},
		{Owner: &types.Owner{ID: owner}, Grants: grant(types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String("someone")}, "EVERYTHING")},
		{Owner: &types.Owner{ID: owner}, Grants: grant(types.Grantee{Type: "Robot", ID: aws.String("someone")}, types.PermissionRead)},
		{Owner: &types.Owner{ID: owner}, Grants: grant(types.Grantee{Type: types.TypeCanonicalUser}, types.PermissionRead)},
	} {
		_, err = c.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: &b, AccessControlPolicy: &acp})
		wantAPIError(t, err, "MalformedACLError", http.StatusBadRequest)
	}
	if _, err := c.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: &b,
		AccessControlPolicy: &types.AccessControlPolicy{Owner: &types.Owner{ID: owner}, Grants: ownerFull}}); err != nil {
		t.Errorf("PutBucketAcl with the owner's FULL_CONTROL: %v", err)
	}
}

func ownerIDOf(t *testing.T, c *s3.Client) string {
	t.Helper()
	out, err := c.ListBuckets(ctx(t), &s3.ListBucketsInput{})
	if err != nil || out.Owner == nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	return aws.ToString(out.Owner.ID)
}
