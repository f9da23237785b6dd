package testharness

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/crc64nvme"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checksumsOf computes every S3 checksum of b, base64 as S3 shows them.
func checksumsOf(b []byte) map[types.ChecksumAlgorithm]string {
	s1 := sha1.Sum(b)
	s256 := sha256.Sum256(b)
	var c64 [8]byte
	binary.BigEndian.PutUint64(c64[:], crc64nvme.Checksum(b))
	return map[types.ChecksumAlgorithm]string{
		types.ChecksumAlgorithmCrc32:     crc32b64(crc32.IEEETable, b),
		types.ChecksumAlgorithmCrc32c:    crc32b64(castagnoli, b),
		types.ChecksumAlgorithmCrc64nvme: base64.StdEncoding.EncodeToString(c64[:]),
		types.ChecksumAlgorithmSha1:      base64.StdEncoding.EncodeToString(s1[:]),
		types.ChecksumAlgorithmSha256:    base64.StdEncoding.EncodeToString(s256[:]),
	}
}

// headChecksum picks the checksum of algorithm a from a HEAD answer.
func headChecksum(h *s3.HeadObjectOutput, a types.ChecksumAlgorithm) string {
	return aws.ToString(map[types.ChecksumAlgorithm]*string{
		types.ChecksumAlgorithmCrc32: h.ChecksumCRC32, types.ChecksumAlgorithmCrc32c: h.ChecksumCRC32C,
		types.ChecksumAlgorithmCrc64nvme: h.ChecksumCRC64NVME, types.ChecksumAlgorithmSha1: h.ChecksumSHA1,
		types.ChecksumAlgorithmSha256: h.ChecksumSHA256,
	}[a])
}

// TestSDKChecksumsSinglePut: every checksum algorithm, sent by the SDK as
// header or trailer, is verified, stored and returned with checksum mode
// ENABLED (and only then); a wrong one is rejected and stores nothing.
func TestSDKChecksumsSinglePut(t *testing.T) {
	t.Parallel()
	forEachSDKMode(t, func(t *testing.T, e *sdkEnv) {
		c := e.c
		b := newBucket(t, c)
		body := Data(77, 300<<10+1)
		want := checksumsOf(body)
		for _, a := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c,
			types.ChecksumAlgorithmCrc64nvme, types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256} {
			key := "sum-" + string(a)
			out, err := c.PutObject(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: &key, Body: bytes.NewReader(body), ChecksumAlgorithm: a})
			if err != nil {
				t.Fatalf("PutObject with %s: %v", a, err)
			}
			got := aws.ToString(map[types.ChecksumAlgorithm]*string{
				types.ChecksumAlgorithmCrc32: out.ChecksumCRC32, types.ChecksumAlgorithmCrc32c: out.ChecksumCRC32C,
				types.ChecksumAlgorithmCrc64nvme: out.ChecksumCRC64NVME, types.ChecksumAlgorithmSha1: out.ChecksumSHA1,
				types.ChecksumAlgorithmSha256: out.ChecksumSHA256,
			}[a])
			if got != want[a] {
				t.Errorf("PutObject %s answered checksum %q, want %q", a, got, want[a])
			}
			h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key, ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatal(err)
			}
			if got := headChecksum(h, a); got != want[a] {
				t.Errorf("HEAD checksum-mode ENABLED %s = %q, want %q", a, got, want[a])
			}
			g, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: &key, ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(g.Body) // the SDK validates the returned checksum here
			g.Body.Close()
			if err != nil || !bytes.Equal(data, body) {
				t.Errorf("GET checksum-mode ENABLED %s: %v, %d bytes", a, err, len(data))
			}
			h, err = c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key})
			if err != nil {
				t.Fatal(err)
			}
			if s := headChecksum(h, a); s != "" {
				t.Errorf("HEAD without checksum mode returned %s %q", a, s)
			}
		}

		// A checksum that does not match the body: BadDigest, nothing stored.
		for _, a := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmSha256} {
			in := &s3.PutObjectInput{Bucket: &b, Key: aws.String("wrong-" + string(a)), Body: bytes.NewReader(body)}
			wrong := checksumsOf([]byte("something else"))[a]
			if a == types.ChecksumAlgorithmCrc32 {
				in.ChecksumCRC32 = &wrong
			} else {
				in.ChecksumSHA256 = &wrong
			}
			_, err := c.PutObject(ctx(t), in)
			wantAPIError(t, err, "BadDigest", http.StatusBadRequest)
			_, err = c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: in.Key})
			wantAPIError(t, err, "", http.StatusNotFound)
		}
	})
}

// TestSDKChecksumsMultipart: multipart uploads with COMPOSITE and
// FULL_OBJECT checksums: per-part checksums verified and listed, the
// object checksum in the form S3 uses, and per-part checksums on
// GET/HEAD ?partNumber with checksum mode ENABLED.
func TestSDKChecksumsMultipart(t *testing.T) {
	t.Parallel()
	forEachSDKMode(t, func(t *testing.T, e *sdkEnv) {
		c := e.c
		b := newBucket(t, c)
		p1, p2 := Data(31, 5*mib), Data(32, 2*mib+9)
		whole := slices.Concat(p1, p2)
		for _, tc := range []struct {
			algo types.ChecksumAlgorithm
			typ  types.ChecksumType
			tab  *crc32.Table
			want string
		}{
			{types.ChecksumAlgorithmCrc32, types.ChecksumTypeComposite, crc32.IEEETable, compositeCRC32(crc32.IEEETable, p1, p2)},
			{types.ChecksumAlgorithmCrc32c, types.ChecksumTypeComposite, castagnoli, compositeCRC32(castagnoli, p1, p2)},
			{types.ChecksumAlgorithmCrc32, types.ChecksumTypeFullObject, crc32.IEEETable, crc32b64(crc32.IEEETable, whole)},
			{types.ChecksumAlgorithmCrc32c, types.ChecksumTypeFullObject, castagnoli, crc32b64(castagnoli, whole)},
		} {
			key := "mp-" + string(tc.algo) + "-" + string(tc.typ)
			cr, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key, ChecksumAlgorithm: tc.algo, ChecksumType: tc.typ})
			if err != nil {
				t.Fatalf("CreateMultipartUpload %s %s: %v", tc.algo, tc.typ, err)
			}
			if cr.ChecksumAlgorithm != tc.algo {
				t.Errorf("CreateMultipartUpload answered algorithm %q, want %q", cr.ChecksumAlgorithm, tc.algo)
			}
			id := aws.ToString(cr.UploadId)
			c1 := uploadPart(t, c, b, key, id, 1, p1, tc.algo)
			c2 := uploadPart(t, c, b, key, id, 2, p2, tc.algo)
			partSum := func(cp types.CompletedPart) string {
				if tc.algo == types.ChecksumAlgorithmCrc32 {
					return aws.ToString(cp.ChecksumCRC32)
				}
				return aws.ToString(cp.ChecksumCRC32C)
			}
			if partSum(c1) != crc32b64(tc.tab, p1) || partSum(c2) != crc32b64(tc.tab, p2) {
				t.Errorf("%s: UploadPart checksums %q %q, want %q %q", key, partSum(c1), partSum(c2), crc32b64(tc.tab, p1), crc32b64(tc.tab, p2))
			}
			lp, err := c.ListParts(ctx(t), &s3.ListPartsInput{Bucket: &b, Key: &key, UploadId: &id})
			if err != nil {
				t.Fatal(err)
			}
			if lp.ChecksumAlgorithm != tc.algo || len(lp.Parts) != 2 {
				t.Errorf("%s: ListParts algorithm %q parts %d", key, lp.ChecksumAlgorithm, len(lp.Parts))
			} else {
				lsum := aws.ToString(lp.Parts[0].ChecksumCRC32)
				if tc.algo == types.ChecksumAlgorithmCrc32c {
					lsum = aws.ToString(lp.Parts[0].ChecksumCRC32C)
				}
				if lsum != crc32b64(tc.tab, p1) {
					t.Errorf("%s: ListParts part 1 checksum %q", key, lsum)
				}
			}
			co, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &key, UploadId: &id,
				ChecksumType: tc.typ, MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{c1, c2}}})
			if err != nil {
				t.Fatalf("Complete %s: %v", key, err)
			}
			got := aws.ToString(co.ChecksumCRC32)
			if tc.algo == types.ChecksumAlgorithmCrc32c {
				got = aws.ToString(co.ChecksumCRC32C)
			}
			if got != tc.want || co.ChecksumType != tc.typ {
				t.Errorf("%s: Complete checksum %q type %q, want %q %q", key, got, co.ChecksumType, tc.want, tc.typ)
			}
			h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key, ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatal(err)
			}
			if got := headChecksum(h, tc.algo); got != tc.want || h.ChecksumType != tc.typ {
				t.Errorf("%s: HEAD checksum %q type %q, want %q %q", key, got, h.ChecksumType, tc.want, tc.typ)
			}
			if tc.typ == types.ChecksumTypeComposite {
				h, err = c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key, PartNumber: aws.Int32(2), ChecksumMode: types.ChecksumModeEnabled})
				if err != nil {
					t.Fatal(err)
				}
				if got := headChecksum(h, tc.algo); got != crc32b64(tc.tab, p2) {
					t.Errorf("%s: HEAD partNumber=2 checksum %q, want the part's %q", key, got, crc32b64(tc.tab, p2))
				}
			}
			if got := get(t, c, b, key); !bytes.Equal(got, whole) {
				t.Errorf("%s: data differs", key)
			}
		}

		// A part whose declared checksum does not match its bytes is
		// rejected; the upload still completes with a good one.
		key := "mp-bad-part"
		cr, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key, ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
		if err != nil {
			t.Fatal(err)
		}
		wrong := crc32b64(crc32.IEEETable, []byte("other"))
		_, err = c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &b, Key: &key, UploadId: cr.UploadId, PartNumber: aws.Int32(1),
			Body: strings.NewReader("part body"), ChecksumCRC32: &wrong})
		wantAPIError(t, err, "BadDigest", http.StatusBadRequest)
		lp, err := c.ListParts(ctx(t), &s3.ListPartsInput{Bucket: &b, Key: &key, UploadId: cr.UploadId})
		if err != nil || len(lp.Parts) != 0 {
			t.Errorf("a part with a wrong checksum was kept: %v %d parts", err, len(lp.Parts))
		}
	})
}
