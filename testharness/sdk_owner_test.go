package testharness

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSDKListBucketsPaging pages ListBuckets with the SDK's paginator.
func TestSDKListBucketsPaging(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{}, checkResponses(t))
	var want []string
	for i := range 7 {
		b := fmt.Sprintf("paged-%02d", i)
		if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &b}); err != nil {
			t.Fatal(err)
		}
		want = append(want, b)
	}
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("other-bucket")}); err != nil {
		t.Fatal(err)
	}

	var got []string
	pages := 0
	p := s3.NewListBucketsPaginator(c, &s3.ListBucketsInput{MaxBuckets: aws.Int32(3), Prefix: aws.String("paged-")})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("ListBuckets page %d: %v", pages+1, err)
		}
		pages++
		if len(out.Buckets) > 3 || aws.ToString(out.Prefix) != "paged-" {
			t.Errorf("page %d: %d buckets, Prefix %q", pages, len(out.Buckets), aws.ToString(out.Prefix))
		}
		for _, b := range out.Buckets {
			got = append(got, aws.ToString(b.Name))
			if aws.ToString(b.BucketRegion) != "us-east-1" {
				t.Errorf("bucket %s region %q", aws.ToString(b.Name), aws.ToString(b.BucketRegion))
			}
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || pages != 3 {
		t.Errorf("paged %d pages: %v, want 3 pages of %v", pages, got, want)
	}
	out, err := c.ListBuckets(ctx(t), &s3.ListBucketsInput{BucketRegion: aws.String("eu-west-1")})
	if err != nil || len(out.Buckets) != 0 {
		t.Errorf("ListBuckets in another region: %v, %v", out, err)
	}
	_, err = c.ListBuckets(ctx(t), &s3.ListBucketsInput{MaxBuckets: aws.Int32(10001)})
	wantAPIError(t, err, "InvalidArgument", http.StatusBadRequest)
}

// TestSDKACLsAndOwnership checks the answers of a bucket with ACLs
// disabled (BucketOwnerEnforced) and x-amz-expected-bucket-owner.
func TestSDKACLsAndOwnership(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{}, checkResponses(t))
	b := newBucket(t, c)
	put(t, c, b, "k", []byte("data"))

	lb, err := c.ListBuckets(ctx(t), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	ownerID := aws.ToString(lb.Owner.ID)
	if ownerID != g.AccessKey {
		t.Errorf("owner ID %q, want the access key %q", ownerID, g.AccessKey)
	}

	ba, err := c.GetBucketAcl(ctx(t), &s3.GetBucketAclInput{Bucket: &b})
	if err != nil {
		t.Fatalf("GetBucketAcl: %v", err)
	}
	oa, err := c.GetObjectAcl(ctx(t), &s3.GetObjectAclInput{Bucket: &b, Key: aws.String("k")})
	if err != nil {
		t.Fatalf("GetObjectAcl: %v", err)
	}
	for name, acl := range map[string]struct {
		owner  *types.Owner
		grants []types.Grant
	}{"bucket": {ba.Owner, ba.Grants}, "object": {oa.Owner, oa.Grants}} {
		if aws.ToString(acl.owner.ID) != ownerID || len(acl.grants) != 1 || aws.ToString(acl.grants[0].Grantee.ID) != ownerID ||
			acl.grants[0].Permission != types.PermissionFullControl || acl.grants[0].Grantee.Type != types.TypeCanonicalUser {
			t.Errorf("%s ACL: owner %v grants %+v", name, acl.owner, acl.grants)
		}
	}

	// Owner-only ACLs succeed; others are AccessControlListNotSupported.
	for _, acl := range []types.ObjectCannedACL{types.ObjectCannedACLPrivate, types.ObjectCannedACLBucketOwnerFullControl} {
		if _, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("acl-" + string(acl)), Body: bytes.NewReader([]byte("x")), ACL: acl}); err != nil {
			t.Errorf("PutObject ACL %s: %v", acl, err)
		}
		if _, err := c.PutObjectAcl(ctx(t), &s3.PutObjectAclInput{Bucket: &b, Key: aws.String("k"), ACL: acl}); err != nil {
			t.Errorf("PutObjectAcl %s: %v", acl, err)
		}
	}
	if _, err := c.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: &b, ACL: types.BucketCannedACLPrivate}); err != nil {
		t.Errorf("PutBucketAcl private: %v", err)
	}
	if _, err := c.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: &b, AccessControlPolicy: &types.AccessControlPolicy{
		Owner:  &types.Owner{ID: &ownerID},
		Grants: []types.Grant{{Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: &ownerID}, Permission: types.PermissionFullControl}},
	}}); err != nil {
		t.Errorf("PutBucketAcl with the owner's FULL_CONTROL: %v", err)
	}
	_, err = c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("public"), Body: bytes.NewReader([]byte("x")), ACL: types.ObjectCannedACLPublicRead})
	wantAPIError(t, err, "AccessControlListNotSupported", http.StatusBadRequest)
	_, err = c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("public")})
	wantAPIError(t, err, "", http.StatusNotFound)
	_, err = c.PutObjectAcl(ctx(t), &s3.PutObjectAclInput{Bucket: &b, Key: aws.String("k"), ACL: types.ObjectCannedACLPublicRead})
	wantAPIError(t, err, "AccessControlListNotSupported", http.StatusBadRequest)
	_, err = c.PutBucketAcl(ctx(t), &s3.PutBucketAclInput{Bucket: &b, GrantRead: aws.String(`uri="http://acs.amazonaws.com/groups/global/AllUsers"`)})
	wantAPIError(t, err, "AccessControlListNotSupported", http.StatusBadRequest)
	_, err = c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b, Key: aws.String("copy"), CopySource: aws.String(b + "/k"), ACL: types.ObjectCannedACLPublicReadWrite})
	wantAPIError(t, err, "AccessControlListNotSupported", http.StatusBadRequest)
	_, err = c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("mp"), ACL: types.ObjectCannedACLAuthenticatedRead})
	wantAPIError(t, err, "AccessControlListNotSupported", http.StatusBadRequest)

	// Ownership controls: BucketOwnerEnforced by default (the other
	// settings: sdk_ownership_test.go).
	oc, err := c.GetBucketOwnershipControls(ctx(t), &s3.GetBucketOwnershipControlsInput{Bucket: &b})
	if err != nil {
		t.Fatalf("GetBucketOwnershipControls: %v", err)
	}
	if len(oc.OwnershipControls.Rules) != 1 || oc.OwnershipControls.Rules[0].ObjectOwnership != types.ObjectOwnershipBucketOwnerEnforced {
		t.Errorf("ownership controls %+v", oc.OwnershipControls)
	}
	rule := func(o types.ObjectOwnership) *s3.PutBucketOwnershipControlsInput {
		return &s3.PutBucketOwnershipControlsInput{Bucket: &b, OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: o}}}}
	}
	if _, err := c.PutBucketOwnershipControls(ctx(t), rule(types.ObjectOwnershipBucketOwnerEnforced)); err != nil {
		t.Errorf("PutBucketOwnershipControls BucketOwnerEnforced: %v", err)
	}
	if _, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("enforced"), ObjectOwnership: types.ObjectOwnershipBucketOwnerEnforced, ACL: types.BucketCannedACLPrivate}); err != nil {
		t.Errorf("CreateBucket BucketOwnerEnforced private: %v", err)
	}
	_, err = c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("public-bucket"), ACL: types.BucketCannedACLPublicRead})
	wantAPIError(t, err, "InvalidBucketAclWithObjectOwnership", http.StatusBadRequest)

	// x-amz-expected-bucket-owner: the reported owner passes, others are
	// AccessDenied and change nothing.
	if _, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("k"), ExpectedBucketOwner: &ownerID}); err != nil {
		t.Errorf("GetObject with the right expected owner: %v", err)
	}
	if _, err := c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: &b, ExpectedBucketOwner: &ownerID}); err != nil {
		t.Errorf("ListObjectsV2 with the right expected owner: %v", err)
	}
	other := aws.String("111122223333")
	_, err = c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("k"), ExpectedBucketOwner: other})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("k"), Body: bytes.NewReader([]byte("overwritten")), ExpectedBucketOwner: other})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = c.DeleteObject(ctx(t), &s3.DeleteObjectInput{Bucket: &b, Key: aws.String("k"), ExpectedBucketOwner: other})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = c.CopyObject(ctx(t), &s3.CopyObjectInput{Bucket: &b, Key: aws.String("c"), CopySource: aws.String(b + "/k"), ExpectedSourceBucketOwner: other})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = c.GetBucketAcl(ctx(t), &s3.GetBucketAclInput{Bucket: &b, ExpectedBucketOwner: other})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	if got := get(t, c, b, "k"); string(got) != "data" {
		t.Errorf("object after refused writes: %q", got)
	}
}
