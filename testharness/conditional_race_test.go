package testharness

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestConditionalCompleteAcrossGateways: create-only CompleteMultipartUpload
// calls, and a create-only PUT, race on one key through two gateway
// processes on one volume: in every round exactly one wins, the others get
// 412, and the object is the winner's.
func TestConditionalCompleteAcrossGateways(t *testing.T) {
	t.Parallel()
	g1 := Start(t, Options{NoFsync: true})
	g2 := Start(t, Options{NoFsync: true, Share: g1})
	clients := []*s3.Client{S3Client(t, g1, S3Options{}), S3Client(t, g2, S3Options{})}
	b := newBucket(t, clients[0])
	const rounds, uploads = 6, 4
	winners, refused := 0, 0
	for r := range rounds {
		key := fmt.Sprintf("race-complete/%d", r)
		body := func(w int) []byte { return Data(uint64(1000*r+w), 48<<10) }
		ids := make([]*string, uploads)
		parts := make([]types.CompletedPart, uploads)
		for w := range uploads {
			c := clients[w%2]
			cr, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key})
			if err != nil {
				t.Fatal(err)
			}
			ids[w] = cr.UploadId
			parts[w] = uploadPart(t, c, b, key, aws.ToString(cr.UploadId), 1, body(w), "")
		}
		errs := atOnce(uploads+1, func(w int) error {
			if w == uploads { // the last one: a create-only PUT
				_, err := clients[r%2].PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: &key,
					Body: bytes.NewReader(body(uploads)), IfNoneMatch: aws.String("*")})
				return err
			}
			_, err := clients[(w+1)%2].CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &key,
				UploadId: ids[w], IfNoneMatch: aws.String("*"),
				MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{parts[w]}}})
			return err
		})
		oneCreateWon(t, clients, b, key, errs, body)
		winners, refused = winners+1, refused+len(errs)-1
	}
	t.Logf("%d rounds of %d create-only Completes and 1 create-only PUT across 2 gateway processes: %d winners, %d PreconditionFailed",
		rounds, uploads, winners, refused)
}
