package auth

import (
	"testing"
	"time"
)

func BenchmarkVerifyV4Header(b *testing.B) {
	r := wire(b, docGet)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(r, exampleKeys, docDate); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyV2Header(b *testing.B) {
	r := wire(b, `PUT /db-backup.dat.gz HTTP/1.1
Host: static.johnsmith.net:8080
Date: Tue, 27 Mar 2007 21:06:08 +0000
x-amz-acl: public-read
content-type: application/x-download
Content-MD5: 4gJE4saaMU4BqNR0kLY+lw==
X-Amz-Meta-ReviewedBy: joe@johnsmith.net
X-Amz-Meta-ReviewedBy: jane@johnsmith.net
Authorization: AWS AKIAIOSFODNN7EXAMPLE:ilyl83RwaSoYIEdixDQcA4OnAnc=`)
	now := time.Date(2007, 3, 27, 21, 6, 8, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		// A mismatch is the slow path: every variant is tried.
		_, _ = VerifyWithBucket(r, exampleKeys, now, "static.johnsmith.net")
	}
}
