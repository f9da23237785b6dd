package xbcloud

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
)

// listPage is the part of a ListObjects v1 answer xbcloud reads.
type listPage struct {
	XMLName               xml.Name
	IsTruncated           *string
	NextMarker            string
	NextContinuationToken string
	Contents              []struct {
		Key  string
		Size int64
	}
}

// List returns every key under prefix, paging as xbcloud does (1000 keys
// a page). onePage stops after the first page, which is all put's
// "backup already exists" check needs.
func (c *Client) List(ctx context.Context, prefix string, onePage bool) ([]string, error) {
	var keys []string
	marker := ""
	for page := 0; ; page++ {
		q := query{{"max-keys", "1000"}, {"prefix", prefix}}
		if marker != "" {
			q = append(q, [2]string{"marker", marker})
		}
		resp, err := c.do(ctx, request{method: http.MethodGet, query: q})
		if err != nil {
			return nil, fmt.Errorf("listing %q: %w", prefix, err)
		}
		var p listPage
		if err := xml.Unmarshal(resp.body, &p); err != nil {
			return nil, fmt.Errorf("listing %q: page %d: %w", prefix, page, err)
		}
		if p.XMLName.Local != "ListBucketResult" {
			return nil, fmt.Errorf("listing %q: page %d: root element %q, want ListBucketResult", prefix, page, p.XMLName.Local)
		}
		if p.IsTruncated == nil {
			return nil, fmt.Errorf("listing %q: page %d: no IsTruncated element", prefix, page)
		}
		for _, o := range p.Contents {
			keys = append(keys, o.Key)
		}
		if *p.IsTruncated != "true" || onePage {
			return keys, nil
		}
		next := p.NextMarker
		if next == "" {
			next = p.NextContinuationToken
		}
		if next == "" && len(p.Contents) > 0 {
			next = p.Contents[len(p.Contents)-1].Key
		}
		if next == "" || next == marker {
			return nil, fmt.Errorf("listing %q: page %d is truncated but gives no way to the next page", prefix, page)
		}
		marker = next
	}
}
