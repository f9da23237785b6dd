package testharness

import (
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestOwnershipNeedsOwnershipRights: a bucket's Object Ownership is
// changed by Put/DeleteBucketOwnershipControls and chosen at creation by
// x-amz-object-ownership; as in IAM, each needs
// s3:PutBucketOwnershipControls. An ingest user (s3:CreateBucket, no
// bucket settings) may create a bucket with the default setting only, and
// the setting stays as it was after its refused requests.
func TestOwnershipNeedsOwnershipRights(t *testing.T) {
	t.Parallel()
	ingest := NewUser("db1", "ingest")
	admin := NewUser("root", "admin")
	users := WriteUsersFile(t, filepath.Join(t.TempDir(), "users.json"), ingest, admin)
	g := Start(t, Options{NoFsync: true, Args: []string{"--users", users}})
	ic := UserS3Client(t, g, ingest, S3Options{})
	ac := UserS3Client(t, g, admin, S3Options{})

	_, err := ic.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("own-writer"), ObjectOwnership: types.ObjectOwnershipObjectWriter})
	wantAPIError(t, err, "AccessDenied", 403)
	if _, err := ic.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("own-default"), ObjectOwnership: types.ObjectOwnershipBucketOwnerEnforced}); err != nil {
		t.Fatalf("ingest CreateBucket with the default ownership: %v", err)
	}
	b := aws.String("own-default")
	_, err = ic.PutBucketOwnershipControls(ctx(t), &s3.PutBucketOwnershipControlsInput{Bucket: b, OwnershipControls: &types.OwnershipControls{
		Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipBucketOwnerPreferred}}}})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = ic.DeleteBucketOwnershipControls(ctx(t), &s3.DeleteBucketOwnershipControlsInput{Bucket: b})
	wantAPIError(t, err, "AccessDenied", 403)
	out, err := ac.GetBucketOwnershipControls(ctx(t), &s3.GetBucketOwnershipControlsInput{Bucket: b})
	if err != nil || len(out.OwnershipControls.Rules) != 1 || out.OwnershipControls.Rules[0].ObjectOwnership != types.ObjectOwnershipBucketOwnerEnforced {
		t.Fatalf("ownership after the refused requests: %+v, %v; want BucketOwnerEnforced", out, err)
	}

	if _, err := ac.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: aws.String("own-writer"), ObjectOwnership: types.ObjectOwnershipObjectWriter}); err != nil {
		t.Fatalf("admin CreateBucket with ObjectWriter: %v", err)
	}
	out, err = ac.GetBucketOwnershipControls(ctx(t), &s3.GetBucketOwnershipControlsInput{Bucket: aws.String("own-writer")})
	if err != nil || len(out.OwnershipControls.Rules) != 1 || out.OwnershipControls.Rules[0].ObjectOwnership != types.ObjectOwnershipObjectWriter {
		t.Fatalf("ownership of a bucket created with ObjectWriter: %+v, %v", out, err)
	}
}
