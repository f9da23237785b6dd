package testharness

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

var listKeys = []string{
	"a/1", "a/2", "a/b/3", "a/b/4", "a/c", "b/1", "b/2/x", "c", "d e/f", "z", "ü/1", "ü/2",
}

// TestSDKListObjects: ListObjects v1 and v2 with prefix, delimiter and
// common prefixes, max-keys paging (continuation tokens, markers,
// start-after) and fetch-owner; pages concatenate to the full sorted set.
func TestSDKListObjects(t *testing.T) {
	t.Parallel()
	forEachSDKMode(t, func(t *testing.T, e *sdkEnv) {
		c := e.c
		b := newBucket(t, c)
		for _, k := range listKeys {
			put(t, c, b, k, []byte(k))
		}

		type page struct{ keys, prefixes []string }
		v2 := func(in s3.ListObjectsV2Input) []page {
			in.Bucket = &b
			var pages []page
			for {
				out, err := c.ListObjectsV2(ctx(t), &in)
				if err != nil {
					t.Fatalf("ListObjectsV2 %+v: %v", in, err)
				}
				var p page
				for _, o := range out.Contents {
					p.keys = append(p.keys, aws.ToString(o.Key))
					if aws.ToInt64(o.Size) != int64(len(aws.ToString(o.Key))) || aws.ToString(o.ETag) != quoted(md5hex([]byte(aws.ToString(o.Key)))) || o.LastModified == nil {
						t.Errorf("listed %s: size %d ETag %s", aws.ToString(o.Key), aws.ToInt64(o.Size), aws.ToString(o.ETag))
					}
					if (o.Owner != nil) != aws.ToBool(in.FetchOwner) {
						t.Errorf("listed %s: owner %v with fetch-owner=%v", aws.ToString(o.Key), o.Owner, aws.ToBool(in.FetchOwner))
					}
				}
				for _, cp := range out.CommonPrefixes {
					p.prefixes = append(p.prefixes, aws.ToString(cp.Prefix))
				}
				if int(aws.ToInt32(out.KeyCount)) != len(p.keys)+len(p.prefixes) {
					t.Errorf("KeyCount %d, page holds %d", aws.ToInt32(out.KeyCount), len(p.keys)+len(p.prefixes))
				}
				pages = append(pages, p)
				if !aws.ToBool(out.IsTruncated) {
					return pages
				}
				if out.NextContinuationToken == nil {
					t.Fatalf("truncated ListObjectsV2 page without NextContinuationToken")
				}
				in.ContinuationToken = out.NextContinuationToken
				if len(pages) > 100 {
					t.Fatalf("ListObjectsV2 does not end")
				}
			}
		}
		flat := func(pages []page) (keys, prefixes []string) {
			for _, p := range pages {
				keys = append(keys, p.keys...)
				prefixes = append(prefixes, p.prefixes...)
			}
			return
		}
		eq := func(what string, got, want []string) {
			t.Helper()
			if !slices.Equal(got, want) {
				t.Errorf("%s:\n got %q\nwant %q", what, got, want)
			}
		}

		all := slices.Clone(listKeys)
		slices.Sort(all)
		k, _ := flat(v2(s3.ListObjectsV2Input{}))
		eq("v2 all", k, all)
		k, _ = flat(v2(s3.ListObjectsV2Input{FetchOwner: aws.Bool(true)}))
		eq("v2 fetch-owner", k, all)
		for _, mk := range []int32{1, 2, 5} {
			pages := v2(s3.ListObjectsV2Input{MaxKeys: aws.Int32(mk)})
			for _, p := range pages {
				if len(p.keys) > int(mk) {
					t.Errorf("max-keys %d: page of %d", mk, len(p.keys))
				}
			}
			k, _ = flat(pages)
			eq("v2 max-keys paging", k, all)
		}
		k, _ = flat(v2(s3.ListObjectsV2Input{Prefix: aws.String("a/")}))
		eq("v2 prefix a/", k, []string{"a/1", "a/2", "a/b/3", "a/b/4", "a/c"})
		k, p := flat(v2(s3.ListObjectsV2Input{Delimiter: aws.String("/")}))
		eq("v2 delimiter keys", k, []string{"c", "z"})
		eq("v2 delimiter prefixes", p, []string{"a/", "b/", "d e/", "ü/"})
		k, p = flat(v2(s3.ListObjectsV2Input{Prefix: aws.String("a/"), Delimiter: aws.String("/")}))
		eq("v2 a/ + delimiter keys", k, []string{"a/1", "a/2", "a/c"})
		eq("v2 a/ + delimiter prefixes", p, []string{"a/b/"})
		// Common prefixes count against max-keys and page like keys.
		k, p = flat(v2(s3.ListObjectsV2Input{Delimiter: aws.String("/"), MaxKeys: aws.Int32(1)}))
		eq("v2 delimiter paged keys", k, []string{"c", "z"})
		eq("v2 delimiter paged prefixes", p, []string{"a/", "b/", "d e/", "ü/"})
		k, _ = flat(v2(s3.ListObjectsV2Input{StartAfter: aws.String("b/1")}))
		eq("v2 start-after", k, all[slices.Index(all, "b/1")+1:])
		k, _ = flat(v2(s3.ListObjectsV2Input{Prefix: aws.String("nothing")}))
		eq("v2 empty prefix", k, nil)

		// v1: marker paging; NextMarker comes with a delimiter, else the
		// last key is the marker.
		var v1keys, v1prefixes []string
		in := &s3.ListObjectsInput{Bucket: &b, MaxKeys: aws.Int32(3)}
		for i := 0; ; i++ {
			out, err := c.ListObjects(ctx(t), in)
			if err != nil {
				t.Fatalf("ListObjects: %v", err)
			}
			for _, o := range out.Contents {
				v1keys = append(v1keys, aws.ToString(o.Key))
			}
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			in.Marker = out.Contents[len(out.Contents)-1].Key
			if i > 50 {
				t.Fatal("ListObjects does not end")
			}
		}
		eq("v1 marker paging", v1keys, all)
		in = &s3.ListObjectsInput{Bucket: &b, MaxKeys: aws.Int32(2), Delimiter: aws.String("/")}
		v1keys = nil
		for i := 0; ; i++ {
			out, err := c.ListObjects(ctx(t), in)
			if err != nil {
				t.Fatalf("ListObjects: %v", err)
			}
			for _, o := range out.Contents {
				v1keys = append(v1keys, aws.ToString(o.Key))
			}
			for _, cp := range out.CommonPrefixes {
				v1prefixes = append(v1prefixes, aws.ToString(cp.Prefix))
			}
			if !aws.ToBool(out.IsTruncated) {
				break
			}
			if out.NextMarker == nil {
				t.Fatalf("truncated v1 listing with a delimiter has no NextMarker")
			}
			in.Marker = out.NextMarker
			if i > 50 {
				t.Fatal("ListObjects does not end")
			}
		}
		eq("v1 delimiter paged keys", v1keys, []string{"c", "z"})
		eq("v1 delimiter paged prefixes", v1prefixes, []string{"a/", "b/", "d e/", "ü/"})
		out, err := c.ListObjects(ctx(t), &s3.ListObjectsInput{Bucket: &b, Marker: aws.String("c"), Prefix: aws.String("")})
		if err != nil {
			t.Fatal(err)
		}
		var after []string
		for _, o := range out.Contents {
			after = append(after, aws.ToString(o.Key))
		}
		eq("v1 marker", after, all[slices.Index(all, "c")+1:])

		_, err = c.ListObjectsV2(ctx(t), &s3.ListObjectsV2Input{Bucket: &b, ContinuationToken: aws.String("!!not a token!!")})
		wantAPIError(t, err, "InvalidArgument", http.StatusBadRequest)
	})
}

// TestListEncodingTypeURL checks encoding-type=url on the wire: keys,
// prefixes and markers come back percent-encoded, and the EncodingType
// element says so.
func TestListEncodingTypeURL(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	c := S3Client(t, g, S3Options{})
	b := newBucket(t, c)
	odd := []string{"sp ace/é", "tab\tx", "ctl\x01char", "plus+and&amp"}
	for _, k := range odd {
		put(t, c, b, k, []byte("x"))
	}
	type result struct {
		EncodingType   string
		Keys           []string `xml:"Contents>Key"`
		CommonPrefixes []string `xml:"CommonPrefixes>Prefix"`
		Delimiter      string
	}
	for _, q := range []url.Values{
		{"list-type": {"2"}, "encoding-type": {"url"}},
		{"encoding-type": {"url"}},
		{"list-type": {"2"}, "encoding-type": {"url"}, "delimiter": {"/"}},
	} {
		resp, body := rawDo(t, g, signed(t, g, "GET", "/"+b, q, nil, "", nil))
		if resp.StatusCode != 200 {
			t.Fatalf("list %v: %d %s", q, resp.StatusCode, body)
		}
		var r result
		if err := xml.Unmarshal(body, &r); err != nil {
			t.Fatalf("list %v: %v\n%s", q, err, body)
		}
		if r.EncodingType != "url" {
			t.Errorf("list %v: EncodingType %q, want url", q, r.EncodingType)
		}
		var got []string
		for _, k := range append(r.Keys, r.CommonPrefixes...) {
			// Like botocore, decode as a query string: "+" is a space, so
			// a literal "+" must arrive as %2B.
			d, err := url.QueryUnescape(k)
			if err != nil {
				t.Errorf("list %v: key %q is not URL-encoded: %v", q, k, err)
			}
			if strings.ContainsAny(k, " \t\x01é") {
				t.Errorf("list %v: key %q is not encoded", q, k)
			}
			got = append(got, d)
		}
		slices.Sort(got)
		want := []string{"ctl\x01char", "plus+and&amp", "sp ace/é", "tab\tx"}
		if q.Get("delimiter") == "/" {
			want = []string{"ctl\x01char", "plus+and&amp", "sp ace/", "tab\tx"}
		}
		if !slices.Equal(got, want) {
			t.Errorf("list %v decoded: %q, want %q", q, got, want)
		}
	}
}
