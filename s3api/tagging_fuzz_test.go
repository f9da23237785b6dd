package s3api

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// FuzzParseTagging feeds both tag forms: whatever one accepts is a valid
// tag set that survives the trip through the other form unchanged.
func FuzzParseTagging(f *testing.F) {
	f.Add("a=1&b=", []byte(`<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>`))
	f.Add("k%20x=v%2Fw&%C3%A9=%E6%95%B8", []byte(`<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet/></Tagging>`))
	f.Add("a=1&a=2", []byte(`<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>a</Key><Value>2</Value></Tag></TagSet></Tagging>`))
	f.Add("aws:x=1&=&&%zz", []byte(`<Tagging><TagSet><Tag><Key></Key></Tag></TagSet></Tagging>`))
	f.Add("", []byte(`<!DOCTYPE x [<!ENTITY a "b">]><Tagging><TagSet><Tag><Key>&a;</Key><Value></Value></Tag></TagSet></Tagging>`))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		h := http.Header{}
		h.Set("x-amz-tagging", header)
		if tags, err := parseTaggingHeader(h); err != nil {
			if !errors.Is(err, ErrInvalidTag) && !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("header %q: unexpected error %v", header, err)
			}
		} else {
			checkTagsRoundTrip(t, tags)
		}
		if tags, err := parseTaggingXML(body); err != nil {
			if !errors.Is(err, ErrInvalidTag) && !errors.Is(err, ErrMalformedXML) {
				t.Fatalf("body %q: unexpected error %v", body, err)
			}
		} else {
			checkTagsRoundTrip(t, tags)
		}
	})
}

func checkTagsRoundTrip(t *testing.T, tags []Tag) {
	t.Helper()
	if err := validateTags(tags); err != nil {
		t.Fatalf("accepted invalid tags %q: %v", tags, err)
	}
	var parts []string
	for _, tg := range tags {
		parts = append(parts, url.QueryEscape(tg.Key)+"="+url.QueryEscape(tg.Value))
	}
	h := http.Header{}
	h.Set("x-amz-tagging", strings.Join(parts, "&"))
	back, err := parseTaggingHeader(h)
	if err != nil || !slices.Equal(back, tags) {
		t.Fatalf("tags %q came back from x-amz-tagging as %q, %v", tags, back, err)
	}
}
