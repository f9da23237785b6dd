package testharness

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSDKCreateBucketConfiguration: CreateBucket's configuration as S3
// answers it. Tags in CreateBucketConfiguration are stored as
// PutBucketTagging stores them, and a bad tag (too long, duplicate key,
// more than 50) creates no bucket; "us-east-1" named as the location
// constraint is 400 InvalidLocationConstraint with S3's sentence (it is
// the region of a request without one); an unknown x-amz-object-ownership
// is 400 InvalidArgument naming the value.
func TestSDKCreateBucketConfiguration(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{}, checkResponses(t))
	tag := func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
	create := func(name string, cfg *types.CreateBucketConfiguration, own types.ObjectOwnership) error {
		_, err := c.CreateBucket(ctx(t), &s3.CreateBucketInput{Bucket: &name, CreateBucketConfiguration: cfg, ObjectOwnership: own})
		return err
	}
	exists := func(name string) bool {
		_, err := c.HeadBucket(ctx(t), &s3.HeadBucketInput{Bucket: &name})
		return err == nil
	}

	if err := create("tagged-bucket", &types.CreateBucketConfiguration{Tags: []types.Tag{tag("team", "db"), tag("env", "prod")}}, ""); err != nil {
		t.Fatalf("CreateBucket with tags: %v", err)
	}
	out, err := c.GetBucketTagging(ctx(t), &s3.GetBucketTaggingInput{Bucket: aws.String("tagged-bucket")})
	if err != nil {
		t.Fatalf("GetBucketTagging: %v", err)
	}
	if got := tagString(out.TagSet); got != "env=prod,team=db" {
		t.Errorf("tags of the new bucket: %q", got)
	}

	fiftyOne := make([]types.Tag, 51)
	for i := range fiftyOne {
		fiftyOne[i] = tag(fmt.Sprint("k", i), "v")
	}
	for name, c := range map[string]struct {
		tags   []types.Tag
		code   string
		status int
	}{
		"long-key":  {[]types.Tag{tag(strings.Repeat("k", 129), "v")}, "InvalidTag", http.StatusBadRequest},
		"duplicate": {[]types.Tag{tag("k", "1"), tag("k", "2")}, "InvalidTag", http.StatusBadRequest},
		"bad-char":  {[]types.Tag{tag("k*", "v")}, "InvalidTag", http.StatusBadRequest},
		"too-many":  {fiftyOne, "BadRequest", http.StatusBadRequest},
	} {
		bucket := "refused-" + name
		wantAPIError(t, create(bucket, &types.CreateBucketConfiguration{Tags: c.tags}, ""), c.code, c.status)
		if exists(bucket) {
			t.Errorf("%s: a refused CreateBucket left the bucket behind", name)
		}
	}

	err = create("east-bucket", &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint("us-east-1")}, "")
	wantAPIError(t, err, "InvalidLocationConstraint", http.StatusBadRequest)
	if msg := errMessage(err); msg != "The specified location-constraint is not valid" {
		t.Errorf("InvalidLocationConstraint message %q", msg)
	}
	err = create("west-bucket", &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintUsWest2}, "")
	wantAPIError(t, err, "InvalidLocationConstraint", http.StatusBadRequest)
	if exists("east-bucket") || exists("west-bucket") {
		t.Error("a refused location constraint created a bucket")
	}

	err = create("owned-bucket", nil, types.ObjectOwnership("invalid_ownership"))
	wantAPIError(t, err, "InvalidArgument", http.StatusBadRequest)
	if msg := errMessage(err); msg != "Invalid x-amz-object-ownership header: invalid_ownership" {
		t.Errorf("ownership message %q", msg)
	}
}
