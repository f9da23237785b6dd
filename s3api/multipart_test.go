package s3api

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"

	"envelopegw/s3api/checksum"
)

func (e *testEnv) createUpload(bucket, key string, hdr map[string]string) string {
	e.t.Helper()
	var res struct {
		XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
		Bucket   string
		Key      string
		UploadID string `xml:"UploadId"`
	}
	decodeXML(e.t, e.ok(req{method: "POST", target: "/" + bucket + "/" + key + "?uploads", header: hdr}, 200), &res)
	if res.Bucket != bucket || res.Key != key || res.UploadID == "" {
		e.t.Fatalf("InitiateMultipartUploadResult %+v", res)
	}
	return res.UploadID
}

func completeBody(etags ...string) []byte {
	var b strings.Builder
	b.WriteString("<CompleteMultipartUpload>")
	for i, e := range etags {
		fmt.Fprintf(&b, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i+1, e)
	}
	b.WriteString("</CompleteMultipartUpload>")
	return []byte(b.String())
}

func TestMultipartLifecycle(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	id := e.createUpload("bkt", "big", map[string]string{"x-amz-meta-a": "1", "x-amz-checksum-algorithm": "crc32c", "x-amz-checksum-type": "COMPOSITE"})
	if u := e.svc.uploads[id]; u.alg != "CRC32C" || u.typ != "COMPOSITE" || u.meta.User["a"] != "1" {
		t.Errorf("upload state %+v", u)
	}
	p1 := bytes.Repeat([]byte("1"), 100)
	p2 := []byte("22")
	w1 := e.ok(req{method: "PUT", target: "/bkt/big?partNumber=1&uploadId=" + id, body: p1}, 200)
	w2 := e.ok(req{method: "PUT", target: "/bkt/big?uploadId=" + id + "&partNumber=2", body: p2}, 200)
	e1, e2 := w1.Header().Get("ETag"), w2.Header().Get("ETag")

	var lp struct {
		XMLName              xml.Name `xml:"ListPartsResult"`
		UploadID             string   `xml:"UploadId"`
		IsTruncated          bool
		NextPartNumberMarker int
		ChecksumAlgorithm    string
		Part                 []struct {
			PartNumber int
			ETag       string
			Size       int64
		}
	}
	decodeXML(t, e.ok(req{method: "GET", target: "/bkt/big?uploadId=" + id + "&max-parts=1"}, 200), &lp)
	if lp.UploadID != id || !lp.IsTruncated || lp.NextPartNumberMarker != 1 || len(lp.Part) != 1 || lp.Part[0].Size != 100 || lp.Part[0].ETag != e1 || lp.ChecksumAlgorithm != "CRC32C" {
		t.Errorf("ListParts page 1: %+v", lp)
	}
	lp.Part = nil
	decodeXML(t, e.ok(req{method: "GET", target: "/bkt/big?uploadId=" + id + "&part-number-marker=1"}, 200), &lp)
	if lp.IsTruncated || len(lp.Part) != 1 || lp.Part[0].PartNumber != 2 {
		t.Errorf("ListParts page 2: %+v", lp)
	}

	var lu struct {
		XMLName xml.Name `xml:"ListMultipartUploadsResult"`
		Upload  []struct {
			Key      string
			UploadID string `xml:"UploadId"`
		}
	}
	decodeXML(t, e.ok(req{method: "GET", target: "/bkt?uploads"}, 200), &lu)
	if len(lu.Upload) != 1 || lu.Upload[0].UploadID != id || lu.Upload[0].Key != "big" {
		t.Errorf("ListMultipartUploads %+v", lu)
	}

	// Order and shape of the part list.
	e.fails(req{method: "POST", target: "/bkt/big?uploadId=" + id, body: []byte(`<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>x</ETag></Part><Part><PartNumber>1</PartNumber><ETag>y</ETag></Part></CompleteMultipartUpload>`)}, 400, "InvalidPartOrder")
	e.fails(req{method: "POST", target: "/bkt/big?uploadId=" + id, body: []byte(`<CompleteMultipartUpload></CompleteMultipartUpload>`)}, 400, "MalformedXML")
	e.fails(req{method: "POST", target: "/bkt/big?uploadId=" + id, body: []byte(`<Other/>`)}, 400, "MalformedXML")
	e.fails(req{method: "POST", target: "/bkt/big?uploadId=" + id, body: completeBody(e1, `"bogus"`)}, 400, "InvalidPart")

	var cr struct {
		XMLName xml.Name `xml:"CompleteMultipartUploadResult"`
		Bucket  string
		Key     string
		ETag    string
	}
	decodeXML(t, e.ok(req{method: "POST", target: "/bkt/big?uploadId=" + id, body: completeBody(e1, e2)}, 200), &cr)
	if cr.Bucket != "bkt" || cr.Key != "big" || !strings.HasSuffix(cr.ETag, `-2"`) {
		t.Errorf("CompleteMultipartUploadResult %+v", cr)
	}

	// The object, and its parts.
	w := e.ok(req{method: "GET", target: "/bkt/big"}, 200)
	if w.Body.Len() != 102 || w.Header().Get("x-amz-mp-parts-count") != "2" {
		t.Errorf("GET multipart object: %d bytes, parts count %q", w.Body.Len(), w.Header().Get("x-amz-mp-parts-count"))
	}
	w = e.ok(req{method: "GET", target: "/bkt/big?partNumber=2"}, 206)
	if w.Body.String() != "22" || w.Header().Get("Content-Range") != "bytes 100-101/102" {
		t.Errorf("GET part 2: %q %q", w.Body.String(), w.Header().Get("Content-Range"))
	}
	e.fails(req{method: "GET", target: "/bkt/big?partNumber=3"}, 416, "InvalidPartNumber")
	e.fails(req{method: "POST", target: "/bkt/big?uploadId=" + id, body: completeBody(e1, e2)}, 404, "NoSuchUpload")
}

func TestMultipartValidation(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxPartSize = 8 })
	e.mkBucket("bkt")
	id := e.createUpload("bkt", "k", nil)
	for _, pn := range []string{"0", "10001", "x", "-1"} {
		e.fails(req{method: "PUT", target: "/bkt/k?partNumber=" + pn + "&uploadId=" + id, body: []byte("x")}, 400, "InvalidArgument")
	}
	e.fails(req{method: "PUT", target: "/bkt/k?partNumber=1&uploadId=" + id, body: []byte("too large!")}, 400, "EntityTooLarge")
	e.fails(req{method: "PUT", target: "/bkt/k?partNumber=1&uploadId=nope", body: []byte("x")}, 404, "NoSuchUpload")
	e.fails(req{method: "PUT", target: "/bkt/k?partNumber=1&uploadId=" + id, body: []byte("x"), header: map[string]string{"Content-MD5": b64md5([]byte("y"))}}, 400, "BadDigest")
	if len(e.svc.uploads[id].parts) != 0 {
		t.Error("a part was stored despite errors")
	}
	e.fails(req{method: "POST", target: "/bkt/k?uploadId=" + id, body: []byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>`)}, 400, "MalformedXML")
	e.fails(req{method: "POST", target: "/bkt/k?uploadId=" + id, body: []byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>`)}, 400, "InvalidPartOrder")

	for _, h := range []map[string]string{
		{"x-amz-checksum-algorithm": "BLAKE3"},
		{"x-amz-checksum-algorithm": "XXHASH3", "x-amz-checksum-type": "FULL_OBJECT"},
		{"x-amz-checksum-type": "COMPOSITE"},
		{"x-amz-checksum-algorithm": "SHA256", "x-amz-checksum-type": "FULL_OBJECT"},
		{"x-amz-checksum-algorithm": "CRC64NVME", "x-amz-checksum-type": "COMPOSITE"},
		{"x-amz-checksum-algorithm": "CRC32", "x-amz-checksum-type": "PARTIAL"},
	} {
		e.fails(req{method: "POST", target: "/bkt/k?uploads", header: h}, 400, "InvalidRequest")
	}
	w := e.ok(req{method: "POST", target: "/bkt/k2?uploads", header: map[string]string{"x-amz-checksum-algorithm": "CRC64NVME", "x-amz-checksum-type": "FULL_OBJECT"}}, 200)
	if w.Header().Get("x-amz-checksum-algorithm") != "CRC64NVME" || w.Header().Get("x-amz-checksum-type") != "FULL_OBJECT" {
		t.Errorf("checksum headers not echoed: %v", w.Header())
	}

	e.ok(req{method: "DELETE", target: "/bkt/k?uploadId=" + id}, 204)
	e.fails(req{method: "DELETE", target: "/bkt/k?uploadId=" + id}, 404, "NoSuchUpload")
}

func TestUploadPartCopy(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.put("bkt", "src", []byte("0123456789"), nil)
	id := e.createUpload("bkt", "dst", nil)
	var cp struct {
		XMLName xml.Name `xml:"CopyPartResult"`
		ETag    string
	}
	decodeXML(t, e.ok(req{method: "PUT", target: "/bkt/dst?partNumber=1&uploadId=" + id, header: map[string]string{"x-amz-copy-source": "/bkt/src", "x-amz-copy-source-range": "bytes=2-5"}}, 200), &cp)
	if string(e.svc.uploads[id].parts[1].data) != "2345" || cp.ETag == "" {
		t.Errorf("part copy: %q %+v", e.svc.uploads[id].parts[1].data, cp)
	}
	e.ok(req{method: "PUT", target: "/bkt/dst?partNumber=2&uploadId=" + id, header: map[string]string{"x-amz-copy-source": "bkt/src"}}, 200)
	for _, r := range []string{"bytes=5-2", "2-5", "bytes=-5", "bytes=1-"} {
		e.fails(req{method: "PUT", target: "/bkt/dst?partNumber=1&uploadId=" + id, header: map[string]string{"x-amz-copy-source": "/bkt/src", "x-amz-copy-source-range": r}}, 400, "InvalidArgument")
	}
	e.fails(req{method: "PUT", target: "/bkt/dst?partNumber=1&uploadId=" + id, header: map[string]string{"x-amz-copy-source": "/bkt/src", "x-amz-copy-source-range": "bytes=5-10"}}, 400, "InvalidArgument") // S3: "Range specified is not valid for source object of size: N"
	e.fails(req{method: "PUT", target: "/bkt/dst?partNumber=1&uploadId=" + id, header: map[string]string{"x-amz-copy-source": "/bkt/src", "x-amz-copy-source-if-match": `"nope"`}}, 412, "PreconditionFailed")
}

// On CompleteMultipartUpload, x-amz-checksum-* headers state the object's
// checksum, not the XML body's.
func TestCompleteWithObjectChecksum(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	id := e.createUpload("bkt", "k", map[string]string{"x-amz-checksum-algorithm": "CRC32"})
	p1, p2 := []byte("first part"), []byte("second")
	c1, c2 := crc32b64(p1), crc32b64(p2)
	e1 := e.ok(req{method: "PUT", target: "/bkt/k?partNumber=1&uploadId=" + id, body: p1, header: map[string]string{"x-amz-checksum-crc32": c1}}, 200).Header().Get("ETag")
	e2 := e.ok(req{method: "PUT", target: "/bkt/k?partNumber=2&uploadId=" + id, body: p2, header: map[string]string{"x-amz-checksum-crc32": c2}}, 200).Header().Get("ETag")
	body := []byte(fmt.Sprintf(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag><ChecksumCRC32>%s</ChecksumCRC32></Part><Part><PartNumber>2</PartNumber><ETag>%s</ETag><ChecksumCRC32>%s</ChecksumCRC32></Part></CompleteMultipartUpload>`, e1, c1, e2, c2))
	d1, _ := checksum.Decode("CRC32", c1)
	d2, _ := checksum.Decode("CRC32", c2)
	composite := checksum.Composite("CRC32", [][]byte{d1, d2})

	e.fails(req{method: "POST", target: "/bkt/k?uploadId=" + id, body: body, header: map[string]string{"x-amz-checksum-crc32": crc32b64([]byte("x")) + "-2"}}, 400, "BadDigest")
	e.fails(req{method: "POST", target: "/bkt/k?uploadId=" + id, body: body, header: map[string]string{"x-amz-checksum-crc32": "???"}}, 400, "InvalidRequest")
	if _, ok := e.svc.buckets["bkt"].objects["k"]; ok {
		t.Fatal("completed despite a wrong object checksum")
	}
	// minio-go sends the composite value without "-N", with the type.
	e.ok(req{method: "POST", target: "/bkt/k?uploadId=" + id, body: body, header: map[string]string{
		"x-amz-checksum-crc32": strings.TrimSuffix(composite, "-2"),
		"x-amz-checksum-type":  "COMPOSITE",
		"Content-MD5":          b64md5(body),
	}}, 200)
	if got := e.svc.lastExpected["CRC32"]; got != strings.TrimSuffix(composite, "-2") {
		t.Errorf("ExpectedChecksums passed to the service: %q", got)
	}
}
