package auth

import (
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The examples of the S3 API reference ("Authenticating Requests: AWS
// Signature Version 4" and "Signing and Authenticating REST Requests" for
// Version 2), with their published signatures. The requests are written
// out as on the wire.

var docDate = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)

func TestV4DocumentationExamples(t *testing.T) {
	for _, c := range []struct {
		name, head string
	}{
		{"GET object", `GET /test.txt HTTP/1.1
Host: examplebucket.s3.amazonaws.com
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41
Range: bytes=0-9
x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
x-amz-date: 20130524T000000Z`},
		{"PUT object", `PUT /test%24file.text HTTP/1.1
Host: examplebucket.s3.amazonaws.com
Date: Fri, 24 May 2013 00:00:00 GMT
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd
x-amz-date: 20130524T000000Z
x-amz-storage-class: REDUCED_REDUNDANCY
x-amz-content-sha256: 44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072`},
		{"GET lifecycle", `GET /?lifecycle HTTP/1.1
Host: examplebucket.s3.amazonaws.com
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543
x-amz-date: 20130524T000000Z
x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855`},
		{"GET bucket list", `GET /?max-keys=2&prefix=J HTTP/1.1
Host: examplebucket.s3.amazonaws.com
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7
x-amz-date: 20130524T000000Z
x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855`},
		{"presigned GET", `GET /test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404 HTTP/1.1
Host: examplebucket.s3.amazonaws.com`},
		{"streaming PUT (seed signature)", `PUT /examplebucket/chunkObject.txt HTTP/1.1
Host: s3.amazonaws.com
x-amz-date: 20130524T000000Z
x-amz-storage-class: REDUCED_REDUNDANCY
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9
x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD
Content-Encoding: aws-chunked
x-amz-decoded-content-length: 66560
Content-Length: 66824`},
		{"streaming PUT with trailer (seed signature)", `PUT /examplebucket/chunkObject.txt HTTP/1.1
Host: s3.amazonaws.com
x-amz-date: 20130524T000000Z
x-amz-storage-class: REDUCED_REDUNDANCY
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,Signature=106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e
x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
Content-Encoding: aws-chunked
x-amz-decoded-content-length: 66560
x-amz-trailer: x-amz-checksum-crc32c
Content-Length: 66946`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := wire(t, c.head)
			res, err := Verify(r, exampleKeys, docDate.Add(5*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if res.AccessKey != exampleAK || res.Version != 4 || res.Region != "us-east-1" {
				t.Fatalf("result %+v", res)
			}
			// Any change to a signed element must break the signature.
			r2 := wire(t, c.head)
			r2.Host = "other.example"
			if _, err := Verify(r2, exampleKeys, docDate); !errors.Is(err, ErrSignatureDoesNotMatch) {
				t.Fatalf("changed host: %v", err)
			}
		})
	}
}

func TestV4DocumentationResults(t *testing.T) {
	r := wire(t, `PUT /examplebucket/chunkObject.txt HTTP/1.1
Host: s3.amazonaws.com
x-amz-date: 20130524T000000Z
x-amz-storage-class: REDUCED_REDUNDANCY
Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9
x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD
Content-Encoding: aws-chunked
x-amz-decoded-content-length: 66560
Content-Length: 66824`)
	res, err := Verify(r, exampleKeys, docDate)
	if err != nil {
		t.Fatal(err)
	}
	if res.PayloadHash != PayloadStreaming || res.Chunks == nil || res.Presigned {
		t.Fatalf("result %+v", res)
	}
	// The documented chunk chain: 64 KiB of 'a', 1 KiB of 'a', empty.
	for i, c := range []struct {
		sum, sig string
	}{
		{"bf718b6f653bebc184e1479f1935b8da974d701b893afcf49e701f3e2f9f9c5a", "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"},
		{"2edc986847e209b4016e141a6dc8716d3207350f416969382d431539bf292e4a", "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"},
		{emptySHA256, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"},
	} {
		sum, _ := hex.DecodeString(c.sum)
		if err := res.Chunks.VerifyChunk(sum, c.sig); err != nil {
			t.Fatalf("chunk %d: %v", i+1, err)
		}
	}

	p := wire(t, `GET /test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404 HTTP/1.1
Host: examplebucket.s3.amazonaws.com`)
	res, err = Verify(p, exampleKeys, docDate.Add(23*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Presigned || res.PayloadHash != PayloadUnsigned || res.Chunks != nil {
		t.Fatalf("presigned result %+v", res)
	}
	if _, err := Verify(p, exampleKeys, docDate.Add(24*time.Hour+time.Second)); !errors.Is(err, ErrExpired) {
		t.Fatalf("after 86400 s: %v", err)
	}
	if _, err := Verify(p, exampleKeys, docDate.Add(-16*time.Minute)); !errors.Is(err, ErrRequestTimeTooSkewed) {
		t.Fatalf("dated in the future: %v", err)
	}
	if _, err := Verify(p, exampleKeys, docDate.Add(-14*time.Minute)); err != nil {
		t.Fatalf("within skew: %v", err)
	}
}

// The chunk and trailer chain of the trailing-header example
// (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER): seed, three chunk
// signatures and the trailer signature over "x-amz-checksum-crc32c:sOO8/Q==\n".
func TestChunkSignerTrailerDocumentationExample(t *testing.T) {
	c, err := NewChunkSigner(exampleSecret, "20130524T000000Z", "us-east-1", "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e")
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range []struct{ sum, sig string }{
		{"bf718b6f653bebc184e1479f1935b8da974d701b893afcf49e701f3e2f9f9c5a", "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2"},
		{"2edc986847e209b4016e141a6dc8716d3207350f416969382d431539bf292e4a", "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7"},
		{emptySHA256, "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992"},
	} {
		sum, _ := hex.DecodeString(s.sum)
		if err := c.VerifyChunk(sum, s.sig); err != nil {
			t.Fatalf("chunk %d: %v", i+1, err)
		}
	}
	const trailerSig = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
	if err := c.VerifyTrailer([]byte("x-amz-checksum-crc32c:sOO8/A==\n"), trailerSig); !errors.Is(err, ErrSignatureDoesNotMatch) {
		t.Fatalf("altered trailer: %v", err)
	}
	if err := c.VerifyTrailer([]byte("x-amz-checksum-crc32c:sOO8/Q==\n"), trailerSig); err != nil {
		t.Fatal(err)
	}
}

func TestChunkSignerRejects(t *testing.T) {
	seed, _ := hex.DecodeString("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
	newC := func() *ChunkSigner {
		return newChunkSigner(signingKey(exampleSecret, "20130524", "us-east-1"), "20130524T000000Z", "20130524/us-east-1/s3/aws4_request", seed)
	}
	sum1, _ := hex.DecodeString("bf718b6f653bebc184e1479f1935b8da974d701b893afcf49e701f3e2f9f9c5a")
	sum2, _ := hex.DecodeString("2edc986847e209b4016e141a6dc8716d3207350f416969382d431539bf292e4a")
	const sig1 = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
	const sig2 = "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
	// Out of order: chunk 2's signature first.
	if err := newC().VerifyChunk(sum2, sig2); !errors.Is(err, ErrSignatureDoesNotMatch) {
		t.Errorf("reordered chunk: %v", err)
	}
	// Wrong data.
	if err := newC().VerifyChunk(sum2, sig1); !errors.Is(err, ErrSignatureDoesNotMatch) {
		t.Errorf("wrong data: %v", err)
	}
	// Upper-case hex of the right signature is the same signature.
	if err := newC().VerifyChunk(sum1, strings.ToUpper(sig1)); err != nil {
		t.Errorf("upper-case signature: %v", err)
	}
	for _, bad := range []string{"", "zz", sig1[:63], sig1 + "0", strings.Repeat("g", 64)} {
		if err := newC().VerifyChunk(sum1, bad); !errors.Is(err, ErrSignatureDoesNotMatch) {
			t.Errorf("signature %q: %v", bad, err)
		}
	}
	if err := newC().VerifyChunk(sum1[:5], sig1); !errors.Is(err, ErrSignatureDoesNotMatch) {
		t.Errorf("short digest: %v", err)
	}
	// A failed chunk does not advance the chain.
	c := newC()
	_ = c.VerifyChunk(sum2, sig1)
	if err := c.VerifyChunk(sum1, sig1); err != nil {
		t.Errorf("chain advanced on failure: %v", err)
	}
	for _, bad := range [][3]string{
		{"2013-05-24", "us-east-1", sig1},
		{"20130524T000000Z", "", sig1},
		{"20130524T000000Z", "a/b", sig1},
		{"20130524T000000Z", "us-east-1", "xyz"},
	} {
		if _, err := NewChunkSigner(exampleSecret, bad[0], bad[1], bad[2]); !errors.Is(err, ErrMalformed) {
			t.Errorf("NewChunkSigner(%q): %v", bad, err)
		}
	}
	var nilSigner *ChunkSigner
	if err := nilSigner.VerifyChunk(sum1, sig1); !errors.Is(err, ErrSignatureDoesNotMatch) {
		t.Errorf("nil signer: %v", err)
	}
	if err := nilSigner.VerifyTrailer(nil, sig1); !errors.Is(err, ErrSignatureDoesNotMatch) {
		t.Errorf("nil signer trailer: %v", err)
	}
}

func TestV2DocumentationExamples(t *testing.T) {
	for _, c := range []struct {
		name, bucket, head string
		now                time.Time
	}{
		{"object GET", "johnsmith", `GET /photos/puppy.jpg HTTP/1.1
Host: johnsmith.s3.amazonaws.com
Date: Tue, 27 Mar 2007 19:36:42 +0000
Authorization: AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=`, time.Date(2007, 3, 27, 19, 36, 42, 0, time.UTC)},
		{"object PUT", "johnsmith", `PUT /photos/puppy.jpg HTTP/1.1
Content-Type: image/jpeg
Content-Length: 94328
Host: johnsmith.s3.amazonaws.com
Date: Tue, 27 Mar 2007 21:15:45 +0000
Authorization: AWS AKIAIOSFODNN7EXAMPLE:MyyxeRY7whkBe+bq8fHCL/2kKUg=`, time.Date(2007, 3, 27, 21, 15, 45, 0, time.UTC)},
		{"list", "johnsmith", `GET /?prefix=photos&max-keys=50&marker=puppy HTTP/1.1
User-Agent: Mozilla/5.0
Host: johnsmith.s3.amazonaws.com
Date: Tue, 27 Mar 2007 19:42:41 +0000
Authorization: AWS AKIAIOSFODNN7EXAMPLE:htDYFYduRNen8P9ZfE/s9SuKy0U=`, time.Date(2007, 3, 27, 19, 42, 41, 0, time.UTC)},
		{"fetch ACL", "johnsmith", `GET /?acl HTTP/1.1
Host: johnsmith.s3.amazonaws.com
Date: Tue, 27 Mar 2007 19:44:46 +0000
Authorization: AWS AKIAIOSFODNN7EXAMPLE:c2WLPFtWHVgbEmeEG93a4cG37dM=`, time.Date(2007, 3, 27, 19, 44, 46, 0, time.UTC)},
		{"DELETE with x-amz-date, path style", "", `DELETE /johnsmith/photos/puppy.jpg HTTP/1.1
User-Agent: dotnet
Host: s3.amazonaws.com
Date: Tue, 27 Mar 2007 21:20:27 +0000
x-amz-date: Tue, 27 Mar 2007 21:20:26 +0000
Authorization: AWS AKIAIOSFODNN7EXAMPLE:lx3byBScXR6KzyMaifNkardMwNk=`, time.Date(2007, 3, 27, 21, 20, 26, 0, time.UTC)},
		{"upload with metadata, CNAME bucket", "static.johnsmith.net", `PUT /db-backup.dat.gz HTTP/1.1
User-Agent: curl/7.15.5
Host: static.johnsmith.net:8080
Date: Tue, 27 Mar 2007 21:06:08 +0000
x-amz-acl: public-read
content-type: application/x-download
Content-MD5: 4gJE4saaMU4BqNR0kLY+lw==
X-Amz-Meta-ReviewedBy: joe@johnsmith.net
X-Amz-Meta-ReviewedBy: jane@johnsmith.net
X-Amz-Meta-FileChecksum: 0x02661779
X-Amz-Meta-ChecksumAlgorithm: crc32
Content-Disposition: attachment; filename=database.dat
Content-Encoding: gzip
Content-Length: 5913339
Authorization: AWS AKIAIOSFODNN7EXAMPLE:ilyl83RwaSoYIEdixDQcA4OnAnc=`, time.Date(2007, 3, 27, 21, 6, 8, 0, time.UTC)},
		{"list all my buckets", "", `GET / HTTP/1.1
Host: s3.amazonaws.com
Date: Wed, 28 Mar 2007 01:29:59 +0000
Authorization: AWS AKIAIOSFODNN7EXAMPLE:qGdzdERIC03wnaRNKh6OqZehG9s=`, time.Date(2007, 3, 28, 1, 29, 59, 0, time.UTC)},
		{"unicode keys", "", `GET /dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re HTTP/1.1
Host: s3.amazonaws.com
Date: Wed, 28 Mar 2007 01:49:49 +0000
User-Agent: Mozilla/5.0
Authorization: AWS AKIAIOSFODNN7EXAMPLE:DNEZGsoieTZ92F3bUfSPQcbGmlM=`, time.Date(2007, 3, 28, 1, 49, 49, 0, time.UTC)},
		{"presigned GET", "johnsmith", `GET /photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620 HTTP/1.1
Host: johnsmith.s3.amazonaws.com`, time.Unix(1175139620, 0)},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := wire(t, c.head)
			res, err := VerifyWithBucket(r, exampleKeys, c.now, c.bucket)
			if err != nil {
				t.Fatal(err)
			}
			if res.AccessKey != exampleAK || res.Version != 2 || res.PayloadHash != "" || res.Chunks != nil {
				t.Fatalf("result %+v", res)
			}
			if res.Presigned != strings.Contains(c.head, "Expires=") {
				t.Fatalf("Presigned = %v", res.Presigned)
			}
			// The wrong bucket, or the wrong method, breaks it.
			if _, err := VerifyWithBucket(r, exampleKeys, c.now, c.bucket+"x"); !errors.Is(err, ErrSignatureDoesNotMatch) {
				t.Fatalf("wrong bucket: %v", err)
			}
			r.Method = http.MethodPost
			if _, err := VerifyWithBucket(r, exampleKeys, c.now, c.bucket); !errors.Is(err, ErrSignatureDoesNotMatch) {
				t.Fatalf("wrong method: %v", err)
			}
		})
	}
}
