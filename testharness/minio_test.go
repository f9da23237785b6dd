package testharness

import (
	"bytes"
	"context"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
)

// TestMinio: minio-go's everyday calls — bucket create/exists, put (signed
// aws-chunked bodies over HTTP, unsigned over HTTPS), get, stat, list,
// remove — plus PutObject of unknown size (streaming multipart) and
// uploads with trailing checksums.
func TestMinio(t *testing.T) {
	t.Parallel()
	for _, mode := range []struct {
		name     string
		tls      bool
		upstream bool // a gateway on the shared MinIO
	}{{"http", false, false}, {"https", true, false}, {"upstream", true, true}} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			g := Start(t, Options{TLS: mode.tls, NoFsync: true, Upstream: upstreamIf(t, mode.upstream)})
			mc := MinioClient(t, g)
			cx := context.Background()
			b := "minio-bucket"
			if err := mc.MakeBucket(cx, b, minio.MakeBucketOptions{}); err != nil {
				t.Fatalf("MakeBucket: %v", err)
			}
			if ok, err := mc.BucketExists(cx, b); err != nil || !ok {
				t.Fatalf("BucketExists: %v %v", ok, err)
			}
			if ok, err := mc.BucketExists(cx, "not-there"); err != nil || ok {
				t.Errorf("BucketExists of a missing bucket: %v %v", ok, err)
			}

			body := Data(1, 3*mib+100)
			info, err := mc.PutObject(cx, b, "dir/obj ü", bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{
				ContentType: "application/x-test", UserMetadata: map[string]string{"Purpose": "minio"}, DisableMultipart: true})
			if err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			if info.ETag != md5hex(body) {
				t.Errorf("PutObject ETag %s, want %s", info.ETag, md5hex(body))
			}
			st, err := mc.StatObject(cx, b, "dir/obj ü", minio.StatObjectOptions{})
			if err != nil {
				t.Fatalf("StatObject: %v", err)
			}
			if st.Size != int64(len(body)) || st.ContentType != "application/x-test" || st.UserMetadata["Purpose"] != "minio" {
				t.Errorf("StatObject: size %d type %q meta %v", st.Size, st.ContentType, st.UserMetadata)
			}
			checkMinioGet(t, mc, b, "dir/obj ü", body)
			o, err := mc.GetObject(cx, b, "dir/obj ü", minio.GetObjectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			part := make([]byte, 5000)
			if _, err := o.ReadAt(part, 2*mib); err != nil || !bytes.Equal(part, body[2*mib:2*mib+5000]) {
				t.Errorf("ReadAt (a ranged GET): %v", err)
			}
			o.Close()

			// Unknown size: minio-go streams it as a multipart upload.
			const streamed = 17*mib + 3
			sinfo, err := mc.PutObject(cx, b, "streamed", DataReader(2, streamed), -1, minio.PutObjectOptions{PartSize: 5 * mib})
			if err != nil {
				t.Fatalf("PutObject size -1: %v", err)
			}
			if sinfo.Size != streamed {
				t.Errorf("PutObject size -1 reported size %d", sinfo.Size)
			}
			ro, err := mc.GetObject(cx, b, "streamed", minio.GetObjectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			gotSum, n, err := SHA256Hex(ro)
			ro.Close()
			wantSum, _, _ := SHA256Hex(DataReader(2, streamed))
			if err != nil || n != streamed || gotSum != wantSum {
				t.Errorf("streamed object: %d bytes, %v, sha256 match %v", n, err, gotSum == wantSum)
			}
			// Known size above the part size: parallel multipart.
			big := Data(3, 12*mib+1)
			if _, err := mc.PutObject(cx, b, "multi", bytes.NewReader(big), int64(len(big)), minio.PutObjectOptions{PartSize: 5 * mib, NumThreads: 3}); err != nil {
				t.Fatalf("PutObject multipart: %v", err)
			}
			checkMinioGet(t, mc, b, "multi", big)

			// Trailing checksums (signed trailer over HTTP, unsigned over HTTPS).
			tc := MinioClient(t, g, func(o *minio.Options) { o.TrailingHeaders = true })
			for _, ck := range []minio.ChecksumType{minio.ChecksumCRC32C, minio.ChecksumCRC32, minio.ChecksumSHA256, minio.ChecksumCRC64NVME} {
				key := "trailer-" + ck.String()
				if _, err := tc.PutObject(cx, b, key, bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{Checksum: ck, DisableMultipart: true}); err != nil {
					t.Errorf("PutObject with %s trailer: %v", ck, err)
					continue
				}
				checkMinioGet(t, tc, b, key, body)
			}
			if _, err := tc.PutObject(cx, b, "trailer-multipart", DataReader(4, 11*mib), -1, minio.PutObjectOptions{PartSize: 5 * mib, Checksum: minio.ChecksumCRC32C}); err != nil {
				t.Errorf("streaming multipart with CRC32C trailers: %v", err)
			} else {
				checkMinioGet(t, tc, b, "trailer-multipart", Data(4, 11*mib))
			}

			var keys []string
			for obj := range mc.ListObjects(cx, b, minio.ListObjectsOptions{Recursive: true}) {
				if obj.Err != nil {
					t.Fatalf("ListObjects: %v", obj.Err)
				}
				keys = append(keys, obj.Key)
			}
			want := []string{"dir/obj ü", "multi", "streamed", "trailer-CRC32", "trailer-CRC32C", "trailer-CRC64NVME", "trailer-SHA256", "trailer-multipart"}
			if !slices.Equal(keys, want) {
				t.Errorf("ListObjects recursive:\n got %q\nwant %q", keys, want)
			}
			keys = nil
			for obj := range mc.ListObjects(cx, b, minio.ListObjectsOptions{Prefix: "dir/"}) {
				keys = append(keys, obj.Key)
			}
			if !slices.Equal(keys, []string{"dir/obj ü"}) {
				t.Errorf("ListObjects prefix dir/: %q", keys)
			}

			if err := mc.RemoveObject(cx, b, "dir/obj ü", minio.RemoveObjectOptions{}); err != nil {
				t.Fatalf("RemoveObject: %v", err)
			}
			if _, err := mc.StatObject(cx, b, "dir/obj ü", minio.StatObjectOptions{}); minio.ToErrorResponse(err).Code != "NoSuchKey" {
				t.Errorf("StatObject after RemoveObject: %v", err)
			}
			objs := make(chan minio.ObjectInfo, len(want))
			for _, k := range want[1:] {
				objs <- minio.ObjectInfo{Key: k}
			}
			close(objs)
			for e := range mc.RemoveObjects(cx, b, objs, minio.RemoveObjectsOptions{}) {
				t.Errorf("RemoveObjects: %s: %v", e.ObjectName, e.Err)
			}
			if err := mc.RemoveBucket(cx, b); err != nil {
				t.Errorf("RemoveBucket of the emptied bucket: %v", err)
			}
		})
	}
}

func checkMinioGet(t *testing.T, mc *minio.Client, bucket, key string, want []byte) {
	t.Helper()
	o, err := mc.GetObject(context.Background(), bucket, key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatalf("GetObject %s: %v", key, err)
	}
	defer o.Close()
	got, err := io.ReadAll(o)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("GetObject %s: %d bytes (%v), want %d equal bytes", key, len(got), err, len(want))
	}
}

// TestMinioSignatureV2: minio-go signing with AWS signature version 2 (old
// tools still do) — header auth and presigned URLs.
func TestMinioSignatureV2(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	mc := MinioClient(t, g, func(o *minio.Options) {
		o.Creds = miniocreds.NewStaticV2(g.AccessKey, g.SecretKey, "")
	})
	cx := context.Background()
	if err := mc.MakeBucket(cx, "sigv2", minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("MakeBucket with SigV2: %v", err)
	}
	body := Data(5, 200000)
	if _, err := mc.PutObject(cx, "sigv2", "dir/k ü", bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{DisableMultipart: true}); err != nil {
		t.Fatalf("PutObject with SigV2: %v", err)
	}
	checkMinioGet(t, mc, "sigv2", "dir/k ü", body)
	u, err := mc.PresignedGetObject(cx, "sigv2", "dir/k ü", time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, got := rawDo(t, g, mustRequest(t, "GET", u.String(), nil))
	if resp.StatusCode != 200 || !bytes.Equal(got, body) {
		t.Errorf("SigV2 presigned GET: %d, %d bytes", resp.StatusCode, len(got))
	}
	bad := MinioClient(t, g, func(o *minio.Options) {
		o.Creds = miniocreds.NewStaticV2(g.AccessKey, "wrong-secret-wrong-secret-wrong", "")
	})
	if _, err := bad.StatObject(cx, "sigv2", "dir/k ü", minio.StatObjectOptions{}); err == nil {
		t.Errorf("SigV2 with a wrong secret was accepted")
	}
}
