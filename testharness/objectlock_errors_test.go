package testharness

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestObjectLockErrorOrder: the Object Lock calls answer as S3 does when
// the request is wrong: a missing bucket is NoSuchBucket before its body
// is read, a retention Mode S3's schema does not know is MalformedXML,
// and an empty versionId (aws-sdk-go-v2 sends "versionId=" for
// aws.String("")) is refused in S3's words rather than read as none.
func TestObjectLockErrorOrder(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	if _, err := c.PutBucketVersioning(ctx(t), &s3.PutBucketVersioningInput{Bucket: &b, VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	lb := newLockBucket(t, c)
	put(t, c, lb, "k", []byte("data"))
	missing := "no-such-bucket-lock"
	until := time.Now().Add(time.Hour)

	_, err := c.PutObjectRetention(ctx(t), &s3.PutObjectRetentionInput{Bucket: &missing, Key: aws.String("k"),
		Retention: &types.ObjectLockRetention{Mode: "BOGUS", RetainUntilDate: &until}})
	wantAPIError(t, err, "NoSuchBucket", 404)
	_, err = c.PutObjectLegalHold(ctx(t), &s3.PutObjectLegalHoldInput{Bucket: &missing, Key: aws.String("k"),
		LegalHold: &types.ObjectLockLegalHold{Status: "MAYBE"}})
	wantAPIError(t, err, "NoSuchBucket", 404)
	_, err = c.PutObjectLockConfiguration(ctx(t), &s3.PutObjectLockConfigurationInput{Bucket: &missing,
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: "Disabled"}})
	wantAPIError(t, err, "NoSuchBucket", 404)

	_, err = c.PutObjectRetention(ctx(t), &s3.PutObjectRetentionInput{Bucket: &lb, Key: aws.String("k"),
		Retention: &types.ObjectLockRetention{Mode: "BOGUS", RetainUntilDate: &until}})
	wantAPIError(t, err, "MalformedXML", 400)
	_, err = c.PutObjectLegalHold(ctx(t), &s3.PutObjectLegalHoldInput{Bucket: &lb, Key: aws.String("k"),
		LegalHold: &types.ObjectLockLegalHold{Status: "MAYBE"}})
	wantAPIError(t, err, "MalformedXML", 400)

	const empty = "Version id cannot be the empty string"
	_, err = c.GetObjectRetention(ctx(t), &s3.GetObjectRetentionInput{Bucket: &lb, Key: aws.String("k"), VersionId: aws.String("")})
	wantMessage(t, "GetObjectRetention versionId=", err, "InvalidArgument", empty)
	_, err = c.PutObjectLegalHold(ctx(t), &s3.PutObjectLegalHoldInput{Bucket: &lb, Key: aws.String("k"), VersionId: aws.String(""),
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}})
	wantMessage(t, "PutObjectLegalHold versionId=", err, "InvalidArgument", empty)
	_, err = c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: aws.String("k"), VersionId: aws.String("")})
	wantMessage(t, "GetObject versionId=", err, "InvalidArgument", empty)
	_, err = c.GetObjectRetention(ctx(t), &s3.GetObjectRetentionInput{Bucket: &lb, Key: aws.String("k"), VersionId: aws.String("not*an-id")})
	wantMessage(t, "GetObjectRetention of a malformed versionId", err, "InvalidArgument", "Invalid version id specified")
	// Nothing was set by the refused calls.
	lh, err := c.GetObjectLegalHold(ctx(t), &s3.GetObjectLegalHoldInput{Bucket: &lb, Key: aws.String("k")})
	if err == nil && lh.LegalHold != nil && lh.LegalHold.Status == types.ObjectLockLegalHoldStatusOn {
		t.Fatalf("a refused PutObjectLegalHold set the hold")
	}
}

// TestObjectLockGetMissingKey: GetObjectRetention and GetObjectLegalHold
// of a key that does not exist are NoSuchKey, in a bucket without Object
// Lock too; of a key that exists there, InvalidRequest, as S3 answers.
func TestObjectLockGetMissingKey(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	plain := newBucket(t, c)
	lb := newLockBucket(t, c)
	for _, b := range []string{plain, lb} {
		_, err := c.GetObjectRetention(ctx(t), &s3.GetObjectRetentionInput{Bucket: &b, Key: aws.String("missing")})
		wantAPIError(t, err, "NoSuchKey", 404)
		_, err = c.GetObjectLegalHold(ctx(t), &s3.GetObjectLegalHoldInput{Bucket: &b, Key: aws.String("missing")})
		wantAPIError(t, err, "NoSuchKey", 404)
	}
	put(t, c, plain, "k", []byte("data"))
	const noLock = "Bucket is missing Object Lock Configuration"
	_, err := c.GetObjectRetention(ctx(t), &s3.GetObjectRetentionInput{Bucket: &plain, Key: aws.String("k")})
	wantMessage(t, "GetObjectRetention without Object Lock", err, "InvalidRequest", noLock)
	_, err = c.GetObjectLegalHold(ctx(t), &s3.GetObjectLegalHoldInput{Bucket: &plain, Key: aws.String("k")})
	wantMessage(t, "GetObjectLegalHold without Object Lock", err, "InvalidRequest", noLock)
}
