package testharness

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSDKListUploadsChecksums: ListMultipartUploads gives each upload the
// checksum algorithm and type it was created with, as S3's
// ListMultipartUploads documents for its Upload element (the type defaults
// the way CreateMultipartUpload does: FULL_OBJECT for CRC64NVME, COMPOSITE
// for the others), and neither for an upload created without a checksum.
// On the posix backend and on an upstream S3 store alike.
func TestSDKListUploadsChecksums(t *testing.T) {
	t.Parallel()
	for _, mode := range []struct {
		name     string
		upstream bool
	}{{"posix", false}, {"upstream", true}} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			g := Start(t, Options{TLS: mode.upstream, NoFsync: true, Upstream: upstreamIf(t, mode.upstream)})
			c := S3Client(t, g, S3Options{}, checkResponses(t))
			b := newBucket(t, c)
			want := []struct {
				key      string
				alg      types.ChecksumAlgorithm
				typ      types.ChecksumType // sent; "" lets the gateway default it
				wantAlg  types.ChecksumAlgorithm
				wantType types.ChecksumType
			}{
				{"a-crc32", types.ChecksumAlgorithmCrc32, "", types.ChecksumAlgorithmCrc32, types.ChecksumTypeComposite},
				{"b-crc32c", types.ChecksumAlgorithmCrc32c, types.ChecksumTypeFullObject, types.ChecksumAlgorithmCrc32c, types.ChecksumTypeFullObject},
				{"c-crc64", types.ChecksumAlgorithmCrc64nvme, "", types.ChecksumAlgorithmCrc64nvme, types.ChecksumTypeFullObject},
				{"d-sha256", types.ChecksumAlgorithmSha256, types.ChecksumTypeComposite, types.ChecksumAlgorithmSha256, types.ChecksumTypeComposite},
				{"e-none", "", "", "", ""},
			}
			ids := map[string]string{}
			for _, w := range want {
				in := &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String(w.key), ChecksumAlgorithm: w.alg, ChecksumType: w.typ}
				out, err := c.CreateMultipartUpload(ctx(t), in)
				if err != nil {
					t.Fatalf("CreateMultipartUpload %s: %v", w.key, err)
				}
				ids[w.key] = aws.ToString(out.UploadId)
			}
			// Two pages, so the fields survive paging by markers too.
			var got []types.MultipartUpload
			in := &s3.ListMultipartUploadsInput{Bucket: &b, MaxUploads: aws.Int32(3)}
			for {
				out, err := c.ListMultipartUploads(ctx(t), in)
				if err != nil {
					t.Fatalf("ListMultipartUploads: %v", err)
				}
				got = append(got, out.Uploads...)
				if !aws.ToBool(out.IsTruncated) {
					break
				}
				in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
			}
			if len(got) != len(want) {
				t.Fatalf("listed %d uploads, want %d: %+v", len(got), len(want), got)
			}
			for i, w := range want {
				u := got[i]
				if aws.ToString(u.Key) != w.key || aws.ToString(u.UploadId) != ids[w.key] {
					t.Errorf("upload %d = %s %s, want %s %s", i, aws.ToString(u.Key), aws.ToString(u.UploadId), w.key, ids[w.key])
				}
				if u.ChecksumAlgorithm != w.wantAlg || u.ChecksumType != w.wantType {
					t.Errorf("%s: ChecksumAlgorithm %q ChecksumType %q, want %q %q", w.key, u.ChecksumAlgorithm, u.ChecksumType, w.wantAlg, w.wantType)
				}
			}
		})
	}
}
