package testharness

import (
	"bytes"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestListPartsNullChecksum: ListParts of an upload created without a
// checksum algorithm names its algorithm and type with the word null, as
// S3 does; an upload created with one names it.
func TestListPartsNullChecksum(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	for _, tc := range []struct {
		algo      types.ChecksumAlgorithm
		wantAlgo  types.ChecksumAlgorithm
		wantType  types.ChecksumType
		withParts bool
	}{
		{"", "null", "null", true},
		{"", "null", "null", false},
		{types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32, types.ChecksumTypeComposite, true},
	} {
		key := "k-" + string(tc.algo)
		cr, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key, ChecksumAlgorithm: tc.algo})
		if err != nil {
			t.Fatal(err)
		}
		if tc.withParts {
			if _, err := c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &b, Key: &key, UploadId: cr.UploadId, PartNumber: aws.Int32(1),
				Body: bytes.NewReader([]byte("part one")), ChecksumAlgorithm: tc.algo}); err != nil {
				t.Fatal(err)
			}
		}
		lp, err := c.ListParts(ctx(t), &s3.ListPartsInput{Bucket: &b, Key: &key, UploadId: cr.UploadId})
		if err != nil {
			t.Fatal(err)
		}
		if lp.ChecksumAlgorithm != tc.wantAlgo || lp.ChecksumType != tc.wantType {
			t.Errorf("upload with algorithm %q (parts: %v): ListParts says %q %q, want %q %q",
				tc.algo, tc.withParts, lp.ChecksumAlgorithm, lp.ChecksumType, tc.wantAlgo, tc.wantType)
		}
	}
}
