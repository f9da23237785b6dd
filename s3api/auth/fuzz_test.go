package auth

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// FuzzVerify throws arbitrary Authorization headers, query strings, paths
// and dates at Verify. Invariants: no panic, every error wraps one of the
// sentinel kinds, and a success names a known access key and a version.
func FuzzVerify(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
		"", "/test.txt", "20130524T000000Z", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
	f.Add("", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
		"/test.txt", "", "")
	f.Add("AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=", "", "/johnsmith/photos/puppy.jpg", "Tue, 27 Mar 2007 19:36:42 +0000", "")
	f.Add("", "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620", "/photos/puppy.jpg", "", "")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f, SignedHeaders=host;;x, Signature=zz", "a=%zz&b&&=c", "/%%", "x", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
	f.Fuzz(func(t *testing.T, authz, rawQuery, path, date, payload string) {
		r := &http.Request{
			Method:     http.MethodGet,
			URL:        &url.URL{Path: path, RawQuery: rawQuery},
			RequestURI: path + "?" + rawQuery,
			Host:       "examplebucket.s3.amazonaws.com",
			Header:     http.Header{},
		}
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		if date != "" {
			r.Header.Set("X-Amz-Date", date)
			r.Header.Set("Date", date)
		}
		if payload != "" {
			r.Header.Set("X-Amz-Content-Sha256", payload)
		}
		r.Header.Set("Range", "bytes=0-9")
		for _, now := range []time.Time{docDate, time.Unix(1175139620, 0)} {
			res, err := VerifyWithBucket(r, exampleKeys, now, "johnsmith")
			if err != nil {
				kinds := []error{ErrMissing, ErrInvalidAccessKeyID, ErrSignatureDoesNotMatch, ErrRequestTimeTooSkewed, ErrExpired, ErrMalformed, ErrUnsupported, ErrBadDate, ErrPresignExpiry, ErrInvalidArgument}
				known := false
				for _, k := range kinds {
					known = known || errors.Is(err, k)
				}
				if !known {
					t.Fatalf("error of no known kind: %v", err)
				}
				continue
			}
			if res.AccessKey != exampleAK || (res.Version != 2 && res.Version != 4) {
				t.Fatalf("success with result %+v", res)
			}
		}
	})
}
