package auth

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7/pkg/signer"
)

// minio-go's signer is a second independent implementation of all four
// schemes, with its own escaping rules and V2 sub-resource list.
func TestMinioSigner(t *testing.T) {
	const ak, sk = "AKIDMINIO", "minio/secret+key"
	creds := keys{ak: sk}
	targets := []struct{ url, bucket string }{
		{"http://127.0.0.1:9000/bucket/dir/key%20with%20space", ""},
		{"http://127.0.0.1:9000/bucket/k?uploadId=u-1&partNumber=7", ""},
		{"http://127.0.0.1:9000/bucket/?list-type=2&prefix=a%2Fb&delimiter=%2F", ""},
		{"http://127.0.0.1:9000/bucket/k?tagging", ""},
		{"http://127.0.0.1:9000/bucket/k?response-content-type=text%2Fplain&response-content-disposition=attachment%3B%20filename%3D%22a%20b%22", ""},
		{"http://bucket.s3.local:9000/dir/k", "bucket"},
		{"http://bucket.s3.local:9000/?uploads", "bucket"},
	}
	newReq := func(method, u string) *http.Request {
		r, err := http.NewRequest(method, u, strings.NewReader("payload"))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/octet-stream")
		r.Header.Set("Content-Md5", "dYpDzmgj5SDuukwJj0e29A==")
		r.Header.Set("X-Amz-Meta-Owner", "DBA Team")
		r.Header.Set("X-Amz-Storage-Class", "STANDARD")
		return r
	}
	for _, tg := range targets {
		vhost := tg.bucket != ""
		// SigV2 header.
		now := time.Now().UTC()
		r := newReq(http.MethodPut, tg.url)
		r.Header.Set("Date", now.Format(http.TimeFormat))
		s := toServer(t, signer.SignV2(*r, ak, sk, vhost))
		if res, err := VerifyWithBucket(s, creds, now, tg.bucket); err != nil || res.Version != 2 {
			t.Errorf("SignV2 %s: %v", tg.url, err)
		}
		s.Header.Set("X-Amz-Meta-Owner", "someone else")
		if _, err := VerifyWithBucket(s, creds, now, tg.bucket); err == nil {
			t.Errorf("SignV2 %s: tampered amz header accepted", tg.url)
		}
		// SigV2 presigned.
		g := toServer(t, signer.PreSignV2(*newReq(http.MethodGet, tg.url), ak, sk, 600, vhost))
		if res, err := VerifyWithBucket(g, creds, time.Now(), tg.bucket); err != nil || !res.Presigned {
			t.Errorf("PreSignV2 %s: %v (%s)", tg.url, err, g.RequestURI)
		}
		if _, err := VerifyWithBucket(g, creds, time.Now().Add(11*time.Minute), tg.bucket); err == nil {
			t.Errorf("PreSignV2 %s: accepted after expiry", tg.url)
		}
		g.Header.Set("Content-Type", "text/html")
		if _, err := VerifyWithBucket(g, creds, time.Now(), tg.bucket); err == nil {
			t.Errorf("PreSignV2 %s: changed Content-Type accepted", tg.url)
		}
		// SigV4 header.
		r = newReq(http.MethodPut, tg.url)
		r.Header.Set("X-Amz-Content-Sha256", PayloadUnsigned)
		s = toServer(t, signer.SignV4(*r, ak, sk, "", "eu-west-3"))
		if res, err := Verify(s, creds, time.Now()); err != nil || res.Region != "eu-west-3" {
			t.Errorf("SignV4 %s: %v", tg.url, err)
		}
		// SigV4 presigned.
		g = toServer(t, signer.PreSignV4(*newReq(http.MethodGet, tg.url), ak, sk, "", "us-east-1", 300))
		if res, err := Verify(g, creds, time.Now()); err != nil || !res.Presigned {
			t.Errorf("PreSignV4 %s: %v (%s)", tg.url, err, g.RequestURI)
		}
	}
}
