package s3api

import (
	"strings"
	"testing"
)

// TestRouting checks which operation each request shape reaches, through
// the op field of the request log.
func TestRouting(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	cp := map[string]string{"x-amz-copy-source": "/bkt/k"}
	for _, c := range []struct {
		q  req
		op string
	}{
		{req{method: "GET", target: "/"}, "ListBuckets"},
		{req{method: "PUT", target: "/newbkt"}, "CreateBucket"},
		{req{method: "HEAD", target: "/bkt"}, "HeadBucket"},
		{req{method: "HEAD", target: "/bkt/"}, "HeadBucket"},
		{req{method: "DELETE", target: "/newbkt/"}, "DeleteBucket"},
		{req{method: "GET", target: "/bkt?location"}, "GetBucketLocation"},
		{req{method: "GET", target: "/bkt?versioning"}, "GetBucketVersioning"},
		{req{method: "GET", target: "/bkt?versions"}, "ListObjectVersions"},
		{req{method: "GET", target: "/bkt?uploads"}, "ListMultipartUploads"},
		{req{method: "GET", target: "/bkt?acl"}, "GetBucketAcl"},
		{req{method: "GET", target: "/bkt?tagging"}, "GetBucketTagging"},
		{req{method: "GET", target: "/bkt"}, "ListObjects"},
		{req{method: "GET", target: "/bkt/?list-type=2"}, "ListObjectsV2"},
		{req{method: "POST", target: "/bkt?delete", body: []byte("<Delete/>")}, "DeleteObjects"},
		{req{method: "PUT", target: "/bkt/k", body: []byte("x")}, "PutObject"},
		{req{method: "PUT", target: "/bkt/k2", header: cp}, "CopyObject"},
		{req{method: "GET", target: "/bkt/k?x-id=GetObject"}, "GetObject"},
		{req{method: "HEAD", target: "/bkt/k"}, "HeadObject"},
		{req{method: "GET", target: "/bkt/k?acl"}, "GetObjectAcl"},
		{req{method: "GET", target: "/bkt/k?tagging"}, "GetObjectTagging"},
		{req{method: "GET", target: "/bkt/k?attributes", header: map[string]string{"x-amz-object-attributes": "ETag"}}, "GetObjectAttributes"},
		{req{method: "POST", target: "/bkt/k?uploads"}, "CreateMultipartUpload"},
		{req{method: "PUT", target: "/bkt/k?partNumber=1&uploadId=u", body: []byte("x")}, "UploadPart"},
		{req{method: "PUT", target: "/bkt/k?partNumber=1&uploadId=u", header: cp}, "UploadPartCopy"},
		{req{method: "POST", target: "/bkt/k?uploadId=u", body: []byte("<x/>")}, "CompleteMultipartUpload"},
		{req{method: "GET", target: "/bkt/k?uploadId=u"}, "ListParts"},
		{req{method: "DELETE", target: "/bkt/k?uploadId=u"}, "AbortMultipartUpload"},
		{req{method: "DELETE", target: "/bkt/k"}, "DeleteObject"},
		{req{method: "GET", target: "/bkt?policy"}, "GetBucketPolicy"},
		{req{method: "PUT", target: "/bkt?policy", body: []byte("{}")}, "PutBucketPolicy"},
		{req{method: "DELETE", target: "/bkt?policy"}, "DeleteBucketPolicy"},
		{req{method: "GET", target: "/bkt?policyStatus"}, "GetBucketPolicyStatus"},
		{req{method: "GET", target: "/bkt/k?policy"}, "NotImplemented"},
		{req{method: "PUT", target: "/bkt?policyStatus", body: []byte("x")}, "NotImplemented"},
		{req{method: "PUT", target: "/bkt/k?retention", body: []byte("x")}, "PutObjectRetention"},
		{req{method: "PUT", target: "/bkt/k?restore", body: []byte("x")}, "NotImplemented"},
		{req{method: "POST", target: "/bkt/k"}, "-"}, // refused before routing (route_shape.go)
		{req{method: "HEAD", target: "http://bkt.s3.test/"}, "HeadBucket"},
		{req{method: "GET", target: "http://bkt.s3.test/?list-type=2"}, "ListObjectsV2"},
		{req{method: "PUT", target: "http://bkt.s3.test/k", body: []byte("x")}, "PutObject"},
	} {
		e.logs.Reset()
		e.do(c.q)
		if !strings.Contains(e.logs.String(), " op="+c.op+" ") {
			t.Errorf("%s %s: routed to %q, want %s", c.q.method, c.q.target, logField(e.logs.String(), "op"), c.op)
		}
	}
}

func logField(line, name string) string {
	_, v, ok := strings.Cut(line, " "+name+"=")
	if !ok {
		return ""
	}
	v, _, _ = strings.Cut(v, " ")
	return v
}
