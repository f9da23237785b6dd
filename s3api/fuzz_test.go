package s3api

import (
	"errors"
	"strings"
	"testing"
)

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-0", "bytes=0-", "bytes=-1", "bytes=5-2", "bytes=1-2,3-4", "bytes= 3 - 9 ", "BYTES=1-1", "bytes=99999999999999999999-", "bytes=-99999999999999999999", "bytes=-", "bytes", ""} {
		f.Add(s, int64(10))
		f.Add(s, int64(0))
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 0 {
			size = -size
			if size < 0 {
				size = 0
			}
		}
		off, n, partial, err := parseRange(h, size)
		if err != nil {
			if !errors.Is(err, ErrInvalidRange) {
				t.Fatalf("%q: unexpected error %v", h, err)
			}
			return
		}
		if !partial {
			if off != 0 || n != size {
				t.Fatalf("%q size %d: whole object as %d+%d", h, size, off, n)
			}
			return
		}
		if off < 0 || n <= 0 || off+n > size || off+n < off {
			t.Fatalf("%q size %d: range %d+%d outside the object", h, size, off, n)
		}
	})
}

func FuzzParseCopySourceRange(f *testing.F) {
	for _, s := range []string{"bytes=0-0", "bytes=5-9", "bytes=9-5", "bytes=-5", "bytes=1-", "0-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		r, err := parseCopySourceRange(h)
		if err != nil {
			return
		}
		if r.First < 0 || r.Last < r.First {
			t.Fatalf("%q: %+v", h, r)
		}
	})
}

func FuzzParseCompleteMultipartUpload(f *testing.F) {
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"a"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>b</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>&quot;x&quot;</ETag><PartNumber>10000</PartNumber></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>a</ETag></Part><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload/>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><CompleteMultipartUpload/>`))
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload><x/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		parts, err := parseCompleteMultipartUpload(data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Status != 400 {
				t.Fatalf("error %v is not an S3 400", err)
			}
			return
		}
		if len(parts) == 0 || len(parts) > MaxPartNumber {
			t.Fatalf("%d parts accepted", len(parts))
		}
		prev := 0
		for _, p := range parts {
			if p.PartNumber <= prev || p.PartNumber > MaxPartNumber || p.ETag == "" {
				t.Fatalf("bad part accepted: %+v", p)
			}
			prev = p.PartNumber
		}
	})
}

func FuzzParseDeleteObjects(f *testing.F) {
	f.Add([]byte(`<Delete><Quiet>true</Quiet><Object><Key>a</Key></Object><Object><Key>b</Key><VersionId>null</VersionId></Object></Delete>`))
	f.Add([]byte(`<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a&amp;b</Key></Object></Delete>`))
	f.Add([]byte(`<Delete></Delete>`))
	f.Add([]byte(`<Delete><Quiet>maybe</Quiet><Object><Key>a</Key></Object></Delete>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := parseDeleteObjects(data)
		if err != nil {
			if !errors.Is(err, ErrMalformedXML) {
				t.Fatalf("error %v is not MalformedXML", err)
			}
			return
		}
		if len(req.Objects) == 0 || len(req.Objects) > maxDeleteKeys {
			t.Fatalf("%d objects accepted", len(req.Objects))
		}
		for _, o := range req.Objects {
			if o.Key == "" {
				t.Fatal("empty key accepted")
			}
		}
	})
}

func FuzzParseCopySource(f *testing.F) {
	for _, s := range []string{"/bkt/key", "bkt/key", "bkt/dir/a%20b", "/bkt/k?versionId=null", "/bkt/k%3Fq", "bkt", "/bkt/", "bkt/k?versionId=1", "%zz", "/bkt/k?x=1", "arn:aws:s3:::bkt/k"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := parseCopySource(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Status != 400 {
				t.Fatalf("%q: error %v is not an S3 400", s, err)
			}
			return
		}
		if !validExistingBucketName(cs.bucket) || cs.key == "" || checkKey(cs.key) != nil {
			t.Fatalf("%q: accepted %+v", s, cs)
		}
		if strings.Contains(cs.bucket, "/") {
			t.Fatalf("%q: bucket with a slash %q", s, cs.bucket)
		}
	})
}

func TestParseCopySource(t *testing.T) {
	for in, want := range map[string]copySource{
		"/bkt/key":              {"bkt", "key", ""},
		"bkt/dir/a%20b":         {"bkt", "dir/a b", ""},
		"/bkt/k?versionId=null": {"bkt", "k", "null"},
		"/bkt/k?versionId=0a1B": {"bkt", "k", "0a1B"},
		"/bkt/k%3Fq":            {"bkt", "k?q", ""},
		"/bkt/a+b":              {"bkt", "a+b", ""},
		"/bkt/%E2%82%AC/x//y/":  {"bkt", "€/x//y/", ""},
	} {
		got, err := parseCopySource(in)
		if err != nil || got != want {
			t.Errorf("%q: %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"bkt", "/bkt/", "", "%zz/k", "/bkt/k?versionId=a-c", "/bkt/k?other=1", "/b!d/k"} {
		if _, err := parseCopySource(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
