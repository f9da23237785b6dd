package testharness

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const mib = 1 << 20

// multipartETag is the S3 ETag of an object made of parts: the MD5 of the
// concatenated part MD5s, "-", the part count.
func multipartETag(parts ...[]byte) string {
	h := md5.New()
	for _, p := range parts {
		s := md5.Sum(p)
		h.Write(s[:])
	}
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(h.Sum(nil)), len(parts))
}

func crc32b64(tab *crc32.Table, b []byte) string {
	var s [4]byte
	binary.BigEndian.PutUint32(s[:], crc32.Checksum(b, tab))
	return base64.StdEncoding.EncodeToString(s[:])
}

// compositeCRC32 is S3's COMPOSITE multipart checksum: the CRC of the
// concatenated part CRCs, "-", the part count.
func compositeCRC32(tab *crc32.Table, parts ...[]byte) string {
	var cat []byte
	for _, p := range parts {
		var s [4]byte
		binary.BigEndian.PutUint32(s[:], crc32.Checksum(p, tab))
		cat = append(cat, s[:]...)
	}
	return fmt.Sprintf("%s-%d", crc32b64(tab, cat), len(parts))
}

// splitParts cuts b into parts of size n (the last may be shorter).
func splitParts(b []byte, n int) [][]byte {
	var ps [][]byte
	for len(b) > n {
		ps = append(ps, b[:n])
		b = b[n:]
	}
	return append(ps, b)
}

// TestSDKUploadManager: the SDK's upload manager streams a non-seekable
// source in parallel parts (with its default CRC32 checksums as trailers
// over HTTPS, as headers over HTTP, and with checksums off); the object
// reads back whole, by part and by ranges across part boundaries.
func TestSDKUploadManager(t *testing.T) {
	t.Parallel()
	forEachSDKModeAndUpstream(t, func(t *testing.T, e *sdkEnv) {
		c := e.c
		b := newBucket(t, c)
		const size = 4*5*mib + 777
		plain := Data(99, size)
		up := manager.NewUploader(c, func(u *manager.Uploader) {
			u.PartSize = 5 * mib
			u.Concurrency = 4
		})
		// io.MultiReader hides the bytes.Reader: the manager must stream.
		out, err := up.Upload(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("managed"), Body: io.MultiReader(bytes.NewReader(plain))})
		if err != nil {
			t.Fatalf("upload manager: %v", err)
		}
		parts := splitParts(plain, 5*mib)
		if got, want := aws.ToString(out.ETag), multipartETag(parts...); got != want {
			t.Errorf("multipart ETag %s, want %s", got, want)
		}
		if got := get(t, c, b, "managed"); !bytes.Equal(got, plain) {
			t.Fatalf("GET of the managed upload: %d bytes that differ", len(got))
		}
		h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("managed"), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToInt64(h.ContentLength) != size || aws.ToString(h.ETag) != multipartETag(parts...) {
			t.Errorf("HEAD: length %d ETag %s", aws.ToInt64(h.ContentLength), aws.ToString(h.ETag))
		}
		if !e.opts().ChecksumWhenRequired {
			// The manager asked for CRC32 (composite) and sent every part's.
			if got, want := aws.ToString(h.ChecksumCRC32), compositeCRC32(crc32.IEEETable, parts...); got != want {
				t.Errorf("HEAD checksum-mode ENABLED: CRC32 %q, want composite %q", got, want)
			}
			if h.ChecksumType != types.ChecksumTypeComposite {
				t.Errorf("HEAD ChecksumType %q, want COMPOSITE", h.ChecksumType)
			}
		}
		for i, p := range parts {
			checkPartNumber(t, c, b, "managed", i+1, len(parts), p, int64(i*5*mib), size)
		}
		cases := rangeCases(size, 40, 99)
		for i := 1; i < len(parts); i++ {
			at := int64(i * 5 * mib)
			end := min(at+100000, size-1)
			cases = append(cases, rangeCase{fmt.Sprintf("bytes=%d-%d", at-1, at), at - 1, at},
				rangeCase{fmt.Sprintf("bytes=%d-%d", at-100000, end), at - 100000, end})
		}
		cases = append(cases, rangeCase{fmt.Sprintf("bytes=%d-%d", 3*mib, 17*mib), 3 * mib, 17 * mib})
		checkRanges(t, c, b, "managed", plain, cases)

		// A source shorter than one part goes as a single PutObject.
		small := Data(98, 1000)
		if _, err := up.Upload(ctx(t), &s3.PutObjectInput{Bucket: &b, Key: aws.String("small"), Body: io.MultiReader(bytes.NewReader(small))}); err != nil {
			t.Fatalf("upload manager, small object: %v", err)
		}
		if got := get(t, c, b, "small"); !bytes.Equal(got, small) {
			t.Errorf("small managed upload differs")
		}
	})
}

// opts returns the S3Options the env's client was built with.
func (e *sdkEnv) opts() S3Options {
	return S3Options{ChecksumWhenRequired: e.c.Options().RequestChecksumCalculation == aws.RequestChecksumCalculationWhenRequired}
}

// checkPartNumber checks GET and HEAD ?partNumber=n against the part's
// plaintext p, which starts at off in an object of size total.
func checkPartNumber(t *testing.T, c *s3.Client, bucket, key string, n, count int, p []byte, off, total int64) {
	t.Helper()
	out, err := c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &bucket, Key: &key, PartNumber: aws.Int32(int32(n))})
	if err != nil {
		t.Fatalf("GET partNumber=%d: %v", n, err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || !bytes.Equal(got, p) {
		t.Errorf("GET partNumber=%d: %d bytes (%v), want the part's %d", n, len(got), err, len(p))
	}
	if aws.ToInt32(out.PartsCount) != int32(count) {
		t.Errorf("GET partNumber=%d: PartsCount %d, want %d", n, aws.ToInt32(out.PartsCount), count)
	}
	if want := fmt.Sprintf("bytes %d-%d/%d", off, off+int64(len(p))-1, total); aws.ToString(out.ContentRange) != want {
		t.Errorf("GET partNumber=%d: Content-Range %q, want %q", n, aws.ToString(out.ContentRange), want)
	}
	h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &bucket, Key: &key, PartNumber: aws.Int32(int32(n))})
	if err != nil {
		t.Fatalf("HEAD partNumber=%d: %v", n, err)
	}
	if aws.ToInt64(h.ContentLength) != int64(len(p)) || aws.ToInt32(h.PartsCount) != int32(count) {
		t.Errorf("HEAD partNumber=%d: length %d parts %d, want %d and %d", n, aws.ToInt64(h.ContentLength), aws.ToInt32(h.PartsCount), len(p), count)
	}
}

// uploadPart sends one part and returns its completed-part entry.
func uploadPart(t *testing.T, c *s3.Client, bucket, key, id string, n int32, body []byte, algo types.ChecksumAlgorithm) types.CompletedPart {
	t.Helper()
	out, err := c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &bucket, Key: &key, UploadId: &id, PartNumber: aws.Int32(n),
		Body: bytes.NewReader(body), ChecksumAlgorithm: algo})
	if err != nil {
		t.Fatalf("UploadPart %d: %v", n, err)
	}
	if aws.ToString(out.ETag) != quoted(md5hex(body)) {
		t.Errorf("UploadPart %d: ETag %s, want %s", n, aws.ToString(out.ETag), quoted(md5hex(body)))
	}
	return types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32, ChecksumCRC32C: out.ChecksumCRC32C,
		ChecksumSHA1: out.ChecksumSHA1, ChecksumSHA256: out.ChecksumSHA256, ChecksumCRC64NVME: out.ChecksumCRC64NVME}
}

// TestSDKMultipartLifecycle: parts out of order and re-sent (the last one
// wins), ListParts and ListMultipartUploads with paging, Complete, GET by
// part, Abort.
func TestSDKMultipartLifecycle(t *testing.T) {
	t.Parallel()
	forEachSDKModeAndUpstream(t, func(t *testing.T, e *sdkEnv) {
		c := e.c
		b := newBucket(t, c)
		key := "backups/full ü.xb"
		cr, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key,
			ContentType: aws.String("application/x-xbstream"), Metadata: map[string]string{"lsn": "12345"}})
		if err != nil {
			t.Fatal(err)
		}
		id := aws.ToString(cr.UploadId)
		p1, p2, p2b, p3 := Data(1, 5*mib), Data(2, 5*mib+3), Data(22, 5*mib+1), Data(3, 1*mib+7)
		c3 := uploadPart(t, c, b, key, id, 3, p3, "")
		uploadPart(t, c, b, key, id, 2, p2, "")
		c1 := uploadPart(t, c, b, key, id, 1, p1, "")
		c2 := uploadPart(t, c, b, key, id, 2, p2b, "") // re-sent: replaces the first part 2

		// ListParts, whole and paged.
		lp, err := c.ListParts(ctx(t), &s3.ListPartsInput{Bucket: &b, Key: &key, UploadId: &id})
		if err != nil {
			t.Fatalf("ListParts: %v", err)
		}
		var nums []int32
		for _, p := range lp.Parts {
			nums = append(nums, aws.ToInt32(p.PartNumber))
		}
		if !slices.Equal(nums, []int32{1, 2, 3}) {
			t.Fatalf("ListParts numbers %v, want 1 2 3", nums)
		}
		if aws.ToInt64(lp.Parts[1].Size) != int64(len(p2b)) || aws.ToString(lp.Parts[1].ETag) != quoted(md5hex(p2b)) {
			t.Errorf("ListParts part 2: size %d ETag %s, want the re-sent part's", aws.ToInt64(lp.Parts[1].Size), aws.ToString(lp.Parts[1].ETag))
		}
		nums = nil
		var marker *string
		for i := 0; ; i++ {
			lp, err := c.ListParts(ctx(t), &s3.ListPartsInput{Bucket: &b, Key: &key, UploadId: &id, MaxParts: aws.Int32(1), PartNumberMarker: marker})
			if err != nil {
				t.Fatalf("ListParts paged: %v", err)
			}
			for _, p := range lp.Parts {
				nums = append(nums, aws.ToInt32(p.PartNumber))
			}
			if !aws.ToBool(lp.IsTruncated) || i > 5 {
				break
			}
			marker = lp.NextPartNumberMarker
		}
		if !slices.Equal(nums, []int32{1, 2, 3}) {
			t.Errorf("ListParts paged by one: %v", nums)
		}

		// Another upload of another key, and one of the same key.
		other, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: aws.String("other/key")})
		if err != nil {
			t.Fatal(err)
		}
		same, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key})
		if err != nil {
			t.Fatal(err)
		}
		lu, err := c.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: &b})
		if err != nil {
			t.Fatalf("ListMultipartUploads: %v", err)
		}
		var ups []string
		for _, u := range lu.Uploads {
			ups = append(ups, aws.ToString(u.Key)+" "+aws.ToString(u.UploadId))
			if u.Initiated == nil {
				t.Errorf("upload %s without Initiated", aws.ToString(u.UploadId))
			}
		}
		firstTwo := []string{key + " " + id, key + " " + aws.ToString(same.UploadId)}
		slices.Sort(firstTwo) // same key: ordered by upload ID
		if want := append(firstTwo, "other/key "+aws.ToString(other.UploadId)); !slices.Equal(ups, want) {
			t.Errorf("ListMultipartUploads:\n got %q\nwant %q", ups, want)
		}
		lu, err = c.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: &b, Prefix: aws.String("other/")})
		if err != nil || len(lu.Uploads) != 1 || aws.ToString(lu.Uploads[0].Key) != "other/key" {
			t.Errorf("ListMultipartUploads prefix other/: %v %+v", err, lu)
		}
		lu, err = c.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: &b, Delimiter: aws.String("/")})
		if err != nil {
			t.Fatal(err)
		}
		var cps []string
		for _, p := range lu.CommonPrefixes {
			cps = append(cps, aws.ToString(p.Prefix))
		}
		if !slices.Equal(cps, []string{"backups/", "other/"}) || len(lu.Uploads) != 0 {
			t.Errorf("ListMultipartUploads delimiter /: prefixes %q uploads %d", cps, len(lu.Uploads))
		}
		ups = nil
		in := &s3.ListMultipartUploadsInput{Bucket: &b, MaxUploads: aws.Int32(1)}
		for i := 0; i < 10; i++ {
			lu, err := c.ListMultipartUploads(ctx(t), in)
			if err != nil {
				t.Fatalf("ListMultipartUploads paged: %v", err)
			}
			for _, u := range lu.Uploads {
				ups = append(ups, aws.ToString(u.Key)+" "+aws.ToString(u.UploadId))
			}
			if !aws.ToBool(lu.IsTruncated) {
				break
			}
			in.KeyMarker, in.UploadIdMarker = lu.NextKeyMarker, lu.NextUploadIdMarker
		}
		if want := append(firstTwo, "other/key "+aws.ToString(other.UploadId)); !slices.Equal(ups, want) {
			t.Errorf("ListMultipartUploads paged by key and upload-id markers:\n got %q\nwant %q", ups, want)
		}

		// Parts are invisible until Complete.
		_, err = c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key})
		wantAPIError(t, err, "", http.StatusNotFound)

		co, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &key, UploadId: &id,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{c1, c2, c3}}})
		if err != nil {
			t.Fatalf("CompleteMultipartUpload: %v", err)
		}
		if got, want := aws.ToString(co.ETag), multipartETag(p1, p2b, p3); got != want {
			t.Errorf("Complete ETag %s, want %s", got, want)
		}
		whole := slices.Concat(p1, p2b, p3)
		if got := get(t, c, b, key); !bytes.Equal(got, whole) {
			t.Fatalf("completed object differs from parts 1, 2 (re-sent), 3")
		}
		h, err := c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(h.ContentType) != "application/x-xbstream" || h.Metadata["lsn"] != "12345" || aws.ToString(h.ETag) != multipartETag(p1, p2b, p3) {
			t.Errorf("completed object: type %q meta %v ETag %s", aws.ToString(h.ContentType), h.Metadata, aws.ToString(h.ETag))
		}
		checkPartNumber(t, c, b, key, 1, 3, p1, 0, int64(len(whole)))
		checkPartNumber(t, c, b, key, 2, 3, p2b, int64(len(p1)), int64(len(whole)))
		checkPartNumber(t, c, b, key, 3, 3, p3, int64(len(p1)+len(p2b)), int64(len(whole)))
		_, err = c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: &b, Key: &key, PartNumber: aws.Int32(4)})
		wantAPIError(t, err, "InvalidPartNumber", http.StatusRequestedRangeNotSatisfiable)
		at := int64(len(p1))
		checkRanges(t, c, b, key, whole, []rangeCase{
			{fmt.Sprintf("bytes=%d-%d", at-5, at+5), at - 5, at + 5},
			{fmt.Sprintf("bytes=%d-", at-1), at - 1, int64(len(whole)) - 1},
			{"bytes=-2000000", int64(len(whole)) - 2000000, int64(len(whole)) - 1},
		})

		// The completed upload is gone; the others remain until aborted.
		_, err = c.ListParts(ctx(t), &s3.ListPartsInput{Bucket: &b, Key: &key, UploadId: &id})
		wantAPIError(t, err, "NoSuchUpload", http.StatusNotFound)
		for _, u := range []*s3.CreateMultipartUploadOutput{other, same} {
			uploadPart(t, c, b, aws.ToString(u.Key), aws.ToString(u.UploadId), 1, []byte("abandoned"), "")
			if _, err := c.AbortMultipartUpload(ctx(t), &s3.AbortMultipartUploadInput{Bucket: &b, Key: u.Key, UploadId: u.UploadId}); err != nil {
				t.Errorf("AbortMultipartUpload: %v", err)
			}
			_, err = c.ListParts(ctx(t), &s3.ListPartsInput{Bucket: &b, Key: u.Key, UploadId: u.UploadId})
			wantAPIError(t, err, "NoSuchUpload", http.StatusNotFound)
			_, err = c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &b, Key: u.Key, UploadId: u.UploadId, PartNumber: aws.Int32(2), Body: strings.NewReader("late")})
			wantAPIError(t, err, "NoSuchUpload", http.StatusNotFound)
		}
		lu, err = c.ListMultipartUploads(ctx(t), &s3.ListMultipartUploadsInput{Bucket: &b})
		if err != nil || len(lu.Uploads) != 0 {
			t.Errorf("after complete and aborts: %v, %d uploads listed", err, len(lu.Uploads))
		}
		// Aborting did not touch the completed object of the same key.
		if got := get(t, c, b, key); !bytes.Equal(got, whole) {
			t.Errorf("aborting another upload of the key changed the object")
		}
		_, err = c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: aws.String("other/key")})
		wantAPIError(t, err, "", http.StatusNotFound)
	})
}

// TestSDKMultipartCompleteErrors: Complete rejects a part list with a wrong
// ETag or a missing part (InvalidPart), out of order (InvalidPartOrder), a
// non-last part under 5 MiB (EntityTooSmall), an unknown upload
// (NoSuchUpload); a rejected Complete leaves the upload usable.
func TestSDKMultipartCompleteErrors(t *testing.T) {
	t.Parallel()
	forEachSDKMode(t, func(t *testing.T, e *sdkEnv) {
		c := e.c
		b := newBucket(t, c)
		key := "k"
		cr, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key})
		if err != nil {
			t.Fatal(err)
		}
		id := aws.ToString(cr.UploadId)
		p1, p2, p3 := Data(1, 5*mib), Data(2, 1*mib), Data(3, 100)
		c1 := uploadPart(t, c, b, key, id, 1, p1, "")
		c2 := uploadPart(t, c, b, key, id, 2, p2, "")
		c3 := uploadPart(t, c, b, key, id, 3, p3, "")
		complete := func(parts ...types.CompletedPart) error {
			_, err := c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &key, UploadId: &id,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
			return err
		}
		bad := c1
		bad.ETag = aws.String(quoted(md5hex([]byte("not part 1"))))
		wantAPIError(t, complete(bad, c2), "InvalidPart", http.StatusBadRequest)
		missing := types.CompletedPart{PartNumber: aws.Int32(7), ETag: c1.ETag}
		wantAPIError(t, complete(c1, missing), "InvalidPart", http.StatusBadRequest)
		wantAPIError(t, complete(c2, c1), "InvalidPartOrder", http.StatusBadRequest)
		wantAPIError(t, complete(c1, c1), "InvalidPartOrder", http.StatusBadRequest)
		wantAPIError(t, complete(c1, c2, c3), "EntityTooSmall", http.StatusBadRequest) // part 2 is 1 MiB and not last
		wantAPIError(t, complete(), "MalformedXML", http.StatusBadRequest)
		_, err = c.HeadObject(ctx(t), &s3.HeadObjectInput{Bucket: &b, Key: &key})
		wantAPIError(t, err, "", http.StatusNotFound)

		// Parts may be skipped: 1 and 3 make an object.
		if err := complete(c1, c3); err != nil {
			t.Fatalf("Complete with parts 1 and 3 after rejected attempts: %v", err)
		}
		if got := get(t, c, b, key); !bytes.Equal(got, slices.Concat(p1, p3)) {
			t.Errorf("object of parts 1 and 3 differs")
		}
		// A retried Complete of a completed upload may succeed (S3 answers
		// retries idempotently) but must not change the object.
		if err := complete(c1, c3); err != nil {
			wantAPIError(t, err, "NoSuchUpload", http.StatusNotFound)
		}
		if got := get(t, c, b, key); !bytes.Equal(got, slices.Concat(p1, p3)) {
			t.Errorf("a retried Complete changed the object")
		}
		// A different part list for the completed upload is refused.
		if err := complete(c1, c2); err == nil {
			t.Errorf("Complete with another part list after completion succeeded")
		}
		_, err = c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &key, UploadId: aws.String("no-such-upload"),
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{c1}}})
		wantAPIError(t, err, "NoSuchUpload", http.StatusNotFound)
		_, err = c.AbortMultipartUpload(ctx(t), &s3.AbortMultipartUploadInput{Bucket: &b, Key: &key, UploadId: aws.String("no-such-upload")})
		wantAPIError(t, err, "NoSuchUpload", http.StatusNotFound)
		_, err = c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &b, Key: &key, UploadId: aws.String("../../etc"), PartNumber: aws.Int32(1), Body: strings.NewReader("x")})
		wantAPIError(t, err, "NoSuchUpload", http.StatusNotFound)
		for _, n := range []int32{0, 10001} {
			cr2, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.UploadPart(ctx(t), &s3.UploadPartInput{Bucket: &b, Key: &key, UploadId: cr2.UploadId, PartNumber: aws.Int32(n), Body: strings.NewReader("x")})
			wantAPIError(t, err, "InvalidArgument", http.StatusBadRequest)
		}
		_, err = c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: aws.String("no-such-bucket-here"), Key: &key})
		wantAPIError(t, err, "NoSuchBucket", http.StatusNotFound)
	})
}

// TestSDKUploadPartCopy: parts copied from existing objects, whole and by
// x-amz-copy-source-range, mixed with uploaded parts.
func TestSDKUploadPartCopy(t *testing.T) {
	t.Parallel()
	forEachSDKMode(t, func(t *testing.T, e *sdkEnv) {
		c := e.c
		b := newBucket(t, c)
		src := Data(5, 7*mib)
		put(t, c, b, "src", src)
		key := "assembled"
		cr, err := c.CreateMultipartUpload(ctx(t), &s3.CreateMultipartUploadInput{Bucket: &b, Key: &key})
		if err != nil {
			t.Fatal(err)
		}
		id := aws.ToString(cr.UploadId)
		pc1, err := c.UploadPartCopy(ctx(t), &s3.UploadPartCopyInput{Bucket: &b, Key: &key, UploadId: &id, PartNumber: aws.Int32(1),
			CopySource: aws.String(b + "/src"), CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", mib, 6*mib-1))})
		if err != nil {
			t.Fatalf("UploadPartCopy with range: %v", err)
		}
		if aws.ToString(pc1.CopyPartResult.ETag) != quoted(md5hex(src[mib:6*mib])) {
			t.Errorf("UploadPartCopy ETag %s, want MD5 of the range", aws.ToString(pc1.CopyPartResult.ETag))
		}
		pc2, err := c.UploadPartCopy(ctx(t), &s3.UploadPartCopyInput{Bucket: &b, Key: &key, UploadId: &id, PartNumber: aws.Int32(2),
			CopySource: aws.String(b + "/src")})
		if err != nil {
			t.Fatalf("UploadPartCopy whole: %v", err)
		}
		tail := Data(6, 333)
		c3 := uploadPart(t, c, b, key, id, 3, tail, "")
		_, err = c.UploadPartCopy(ctx(t), &s3.UploadPartCopyInput{Bucket: &b, Key: &key, UploadId: &id, PartNumber: aws.Int32(4),
			CopySource: aws.String(b + "/src"), CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", 7*mib, 8*mib))})
		wantAPIError(t, err, "InvalidArgument", http.StatusBadRequest) // S3: "Range specified is not valid for source object of size: N"
		_, err = c.UploadPartCopy(ctx(t), &s3.UploadPartCopyInput{Bucket: &b, Key: &key, UploadId: &id, PartNumber: aws.Int32(4),
			CopySource: aws.String(b + "/missing")})
		wantAPIError(t, err, "NoSuchKey", http.StatusNotFound)
		_, err = c.CompleteMultipartUpload(ctx(t), &s3.CompleteMultipartUploadInput{Bucket: &b, Key: &key, UploadId: &id,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
				{PartNumber: aws.Int32(1), ETag: pc1.CopyPartResult.ETag},
				{PartNumber: aws.Int32(2), ETag: pc2.CopyPartResult.ETag},
				c3,
			}}})
		if err != nil {
			t.Fatalf("Complete of copied parts: %v", err)
		}
		if got := get(t, c, b, key); !bytes.Equal(got, slices.Concat(src[mib:6*mib], src, tail)) {
			t.Errorf("object assembled from copied parts differs")
		}
	})
}
