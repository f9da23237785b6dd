package s3api

import (
	"encoding/xml"
	"net/url"
	"strings"
	"testing"
)

type listV1 struct {
	XMLName      xml.Name `xml:"ListBucketResult"`
	Xmlns        string   `xml:"xmlns,attr"`
	Name, Prefix string
	Marker       string
	NextMarker   string
	MaxKeys      int
	Delimiter    string
	IsTruncated  string
	EncodingType string
	Contents     []struct {
		Key, ETag, LastModified, StorageClass string
		Size                                  int64
		Owner                                 *struct{ ID string }
	}
	CommonPrefixes []struct{ Prefix string }
}

type listV2 struct {
	XMLName               xml.Name `xml:"ListBucketResult"`
	KeyCount              int
	IsTruncated           string
	ContinuationToken     string
	NextContinuationToken string
	StartAfter            string
	Contents              []struct {
		Key   string
		Owner *struct{ ID string }
	}
	CommonPrefixes []struct{ Prefix string }
}

func keysOf(l listV1) []string {
	var ks []string
	for _, c := range l.Contents {
		ks = append(ks, c.Key)
	}
	for _, p := range l.CommonPrefixes {
		ks = append(ks, p.Prefix+"/")
	}
	return ks
}

func TestListObjectsV1(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	for _, k := range []string{"b/1", "b/2", "a", "c/x/y", "d"} {
		e.put("bkt", k, []byte(k), nil)
	}
	var l listV1
	decodeXML(t, e.ok(req{method: "GET", target: "/bkt/"}, 200), &l)
	if l.Xmlns != s3Namespace || l.Name != "bkt" || l.MaxKeys != 1000 || l.IsTruncated != "false" || len(l.Contents) != 5 {
		t.Fatalf("plain listing: %+v", l)
	}
	c := l.Contents[0]
	if c.Key != "a" || c.Size != 1 || c.ETag[0] != '"' || c.LastModified != "2025-03-04T05:06:07.000Z" || c.StorageClass != "STANDARD" || c.Owner == nil || c.Owner.ID != testAK {
		t.Errorf("entry: %+v", c)
	}

	// Paging with NextMarker even without a delimiter (xbcloud).
	var all []string
	marker := ""
	for i := 0; i < 10; i++ {
		var page listV1
		decodeXML(t, e.ok(req{method: "GET", target: "/bkt/?max-keys=2&marker=" + url.QueryEscape(marker)}, 200), &page)
		for _, c := range page.Contents {
			all = append(all, c.Key)
		}
		if page.IsTruncated != "true" {
			if page.NextMarker != "" {
				t.Errorf("NextMarker on the last page")
			}
			break
		}
		if page.NextMarker == "" {
			t.Fatal("truncated page without NextMarker")
		}
		marker = page.NextMarker
	}
	if strings.Join(all, ",") != "a,b/1,b/2,c/x/y,d" {
		t.Errorf("paged keys %v", all)
	}

	// Delimiter and prefix.
	l = listV1{}
	decodeXML(t, e.ok(req{method: "GET", target: "/bkt?delimiter=/"}, 200), &l)
	if strings.Join(keysOf(l), ",") != "a,d,b//,c//" || l.Delimiter != "/" {
		t.Errorf("delimiter listing %v", keysOf(l))
	}
	l = listV1{}
	decodeXML(t, e.ok(req{method: "GET", target: "/bkt?prefix=b%2F&max-keys=1000"}, 200), &l)
	if len(l.Contents) != 2 || l.Prefix != "b/" {
		t.Errorf("prefix listing %+v", l)
	}

	// max-keys bounds.
	l = listV1{}
	decodeXML(t, e.ok(req{method: "GET", target: "/bkt?max-keys=0"}, 200), &l)
	if len(l.Contents) != 0 || l.IsTruncated != "false" || l.MaxKeys != 0 {
		t.Errorf("max-keys=0: %+v", l)
	}
	l = listV1{}
	decodeXML(t, e.ok(req{method: "GET", target: "/bkt?max-keys=5000"}, 200), &l)
	if l.MaxKeys != 1000 {
		t.Errorf("max-keys=5000 became %d", l.MaxKeys)
	}
	e.fails(req{method: "GET", target: "/bkt?max-keys=-1"}, 400, "InvalidArgument")
	e.fails(req{method: "GET", target: "/bkt?max-keys=ten"}, 400, "InvalidArgument")
	e.fails(req{method: "GET", target: "/nope?max-keys=0"}, 404, "NoSuchBucket")
	e.fails(req{method: "GET", target: "/nope"}, 404, "NoSuchBucket")
	e.fails(req{method: "GET", target: "/bkt?encoding-type=base64"}, 400, "InvalidArgument")
}

func TestListEncodingTypeURL(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	key := "dir one/a+b&c\x01é"
	e.put("bkt", url.PathEscape(key), []byte("x"), nil)
	if _, ok := e.svc.buckets["bkt"].objects[key]; !ok {
		t.Fatal("key not stored as sent")
	}
	var l listV1
	decodeXML(t, e.ok(req{method: "GET", target: "/bkt?encoding-type=url&delimiter=%20&prefix=dir%20&marker=d%20"}, 200), &l)
	if l.EncodingType != "url" || len(l.Contents) != 1 {
		t.Fatalf("listing %+v", l)
	}
	if want := "dir%20one/a%2Bb%26c%01%C3%A9"; l.Contents[0].Key != want {
		t.Errorf("encoded key %q, want %q", l.Contents[0].Key, want)
	}
	// A space is %20, not +; ListObjects v1 sends its Prefix unencoded.
	if l.Prefix != "dir " || l.Delimiter != "%20" || l.Marker != "d%20" {
		t.Errorf("encoded prefix/delimiter/marker %q %q %q", l.Prefix, l.Delimiter, l.Marker)
	}
	if got, _ := url.QueryUnescape(l.Contents[0].Key); got != key {
		t.Errorf("decoded key %q", got)
	}
	// Without encoding-type, keys come back as they are (xbcloud).
	e.put("bkt", "plain/key.00000000000000000000", []byte("x"), nil)
	l = listV1{}
	decodeXML(t, e.ok(req{method: "GET", target: "/bkt/?max-keys=1000&prefix=plain%2F"}, 200), &l)
	if len(l.Contents) != 1 || l.Contents[0].Key != "plain/key.00000000000000000000" {
		t.Errorf("plain listing %+v", l)
	}
}

func TestListObjectsV2(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	for _, k := range []string{"a", "b", "c", "d/1", "d/2", "e"} {
		e.put("bkt", k, []byte(k), nil)
	}
	var got []string
	token := ""
	pages := 0
	for {
		target := "/bkt?list-type=2&max-keys=2&delimiter=/"
		if token != "" {
			target += "&continuation-token=" + url.QueryEscape(token)
		}
		var l listV2
		decodeXML(t, e.ok(req{method: "GET", target: target}, 200), &l)
		pages++
		if l.ContinuationToken != token {
			t.Errorf("ContinuationToken echo %q, want %q", l.ContinuationToken, token)
		}
		if l.KeyCount != len(l.Contents)+len(l.CommonPrefixes) {
			t.Errorf("KeyCount %d", l.KeyCount)
		}
		for _, c := range l.Contents {
			if c.Owner != nil {
				t.Errorf("owner without fetch-owner")
			}
			got = append(got, c.Key)
		}
		for _, p := range l.CommonPrefixes {
			got = append(got, p.Prefix)
		}
		if l.IsTruncated != "true" {
			break
		}
		token = l.NextContinuationToken
		if token == "" || pages > 10 {
			t.Fatal("truncated without a usable token")
		}
	}
	if strings.Join(got, ",") != "a,b,c,d/,e" || pages != 3 {
		t.Errorf("v2 pages %d: %v", pages, got)
	}

	var l listV2
	decodeXML(t, e.ok(req{method: "GET", target: "/bkt?list-type=2&start-after=c&fetch-owner=true"}, 200), &l)
	if l.StartAfter != "c" || len(l.Contents) != 3 || l.Contents[0].Key != "d/1" || l.Contents[0].Owner == nil {
		t.Errorf("start-after/fetch-owner: %+v", l)
	}
	e.fails(req{method: "GET", target: "/bkt?list-type=2&continuation-token=!!!"}, 400, "InvalidArgument")
	e.fails(req{method: "GET", target: "/bkt?list-type=2&continuation-token="}, 400, "InvalidArgument")
}

func TestListObjectVersions(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	for _, k := range []string{"a", "b", "c"} {
		e.put("bkt", k, []byte(k), nil)
	}
	type versions struct {
		XMLName             xml.Name `xml:"ListVersionsResult"`
		IsTruncated         string
		NextKeyMarker       string
		NextVersionIDMarker string `xml:"NextVersionIdMarker"`
		Version             []struct {
			Key       string
			VersionID string `xml:"VersionId"`
			IsLatest  bool
		}
	}
	var v versions
	decodeXML(t, e.ok(req{method: "GET", target: "/bkt?versions&max-keys=2"}, 200), &v)
	if v.IsTruncated != "true" || v.NextKeyMarker != "b" || v.NextVersionIDMarker != "null" || len(v.Version) != 2 || v.Version[0].VersionID != "null" || !v.Version[0].IsLatest {
		t.Fatalf("versions page 1: %+v", v)
	}
	v = versions{}
	decodeXML(t, e.ok(req{method: "GET", target: "/bkt?versions&key-marker=b&version-id-marker=null"}, 200), &v)
	if v.IsTruncated != "false" || len(v.Version) != 1 || v.Version[0].Key != "c" {
		t.Fatalf("versions page 2: %+v", v)
	}
}

func TestEncodingTypeVersionsAndUploads(t *testing.T) {
	e := newEnv(t)
	e.mkBucket("bkt")
	e.put("bkt", "a%20b", []byte("x"), nil)
	w := e.ok(req{method: "GET", target: "/bkt?versions&encoding-type=url"}, 200)
	if !strings.Contains(w.Body.String(), "<Key>a%20b</Key>") || !strings.Contains(w.Body.String(), "<EncodingType>url</EncodingType>") {
		t.Errorf("versions: %s", w.Body.String())
	}
	e.ok(req{method: "POST", target: "/bkt/c%26d?uploads"}, 200)
	w = e.ok(req{method: "GET", target: "/bkt?uploads&encoding-type=url"}, 200)
	if !strings.Contains(w.Body.String(), "<Key>c%26d</Key>") {
		t.Errorf("uploads: %s", w.Body.String())
	}
	w = e.ok(req{method: "GET", target: "/bkt?uploads"}, 200)
	if !strings.Contains(w.Body.String(), "<Key>c&amp;d</Key>") {
		t.Errorf("uploads without encoding: %s", w.Body.String())
	}
}
