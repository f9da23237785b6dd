package metrics

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"envelopegw/backend"
	"envelopegw/s3api"
)

// newestCollector exports, per bucket, when the newest object seen was
// written and how old it is now. The age is computed at scrape time, so a
// dashboard needs no time() arithmetic; the timestamp is there for rules
// that aggregate several gateways (max by (bucket)).
type newestCollector struct {
	mu     sync.Mutex
	newest map[string]time.Time

	tsDesc, ageDesc *prometheus.Desc
}

func newNewestCollector() *newestCollector {
	return &newestCollector{
		newest: map[string]time.Time{},
		tsDesc: prometheus.NewDesc(ns+"_bucket_newest_object_timestamp_seconds",
			"Unix time of the newest object written to the bucket that this gateway has seen (its writes, and a listing at start).", []string{"bucket"}, nil),
		ageDesc: prometheus.NewDesc(ns+"_bucket_newest_object_age_seconds",
			"Seconds since the newest object of the bucket was written (see the timestamp metric).", []string{"bucket"}, nil),
	}
}

// saw records an object of bucket written at t, if it is the newest.
func (c *newestCollector) saw(bucket string, t time.Time) {
	c.mu.Lock()
	if t.After(c.newest[bucket]) {
		c.newest[bucket] = t
	}
	c.mu.Unlock()
}

// forget drops a deleted bucket.
func (c *newestCollector) forget(bucket string) {
	c.mu.Lock()
	delete(c.newest, bucket)
	c.mu.Unlock()
}

func (c *newestCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.tsDesc
	ch <- c.ageDesc
}

func (c *newestCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for b, t := range c.newest {
		ch <- prometheus.MustNewConstMetric(c.tsDesc, prometheus.GaugeValue, float64(t.UnixNano())/1e9, b)
		ch <- prometheus.MustNewConstMetric(c.ageDesc, prometheus.GaugeValue, timeSince(t), b)
	}
}

// Lister is what ScanNewest reads: the buckets and their current objects
// as clients see them (gateway.Service). Only the S3 view will do: the
// backend's listing also holds the gateway's own records (bucket
// configuration, delete markers, noncurrent versions), and their times
// say nothing about when a backup last arrived.
type Lister interface {
	ListBuckets(ctx context.Context) ([]s3api.BucketInfo, error)
	ListObjects(ctx context.Context, in *s3api.ListObjectsInput) (*s3api.ListObjectsOutput, error)
}

// ScanNewest lists every bucket of l once and records its newest object,
// so that the age metric is right from the start instead of from the
// first write after a restart. A bucket with no objects is exported with
// its creation time: an empty backup bucket is as alarming as a stale one.
// It reads listings only, a page of 1000 keys at a time.
func (m *Metrics) ScanNewest(ctx context.Context, l Lister) error {
	buckets, err := l.ListBuckets(ctx)
	if err != nil {
		return fmt.Errorf("metrics: newest objects: %w", err)
	}
	for _, b := range buckets {
		m.newest.saw(b.Name, b.Created)
		in := &s3api.ListObjectsInput{Bucket: b.Name, MaxKeys: 1000}
		for {
			page, err := l.ListObjects(ctx, in)
			if errors.Is(err, s3api.ErrNoSuchBucket) {
				m.newest.forget(b.Name)
				break
			}
			if err != nil {
				return fmt.Errorf("metrics: newest object of bucket %s: %w", b.Name, err)
			}
			for _, o := range page.Objects {
				m.newest.saw(b.Name, o.LastModified)
			}
			if !page.IsTruncated || page.NextAfter == "" {
				break
			}
			in.After = page.NextAfter
		}
	}
	return nil
}

// CountUploads counts the open multipart uploads of every bucket and
// publishes them (envelopegw_multipart_uploads_open). It reads the
// volume's upload state, so it sees the uploads of every gateway sharing
// it.
func (m *Metrics) CountUploads(ctx context.Context, be backend.Backend) error {
	buckets, err := be.ListBuckets(ctx)
	if err != nil {
		return err
	}
	counts := make(map[string]int, len(buckets))
	for _, b := range buckets {
		opts := backend.UploadListOptions{}
		n := 0
		for {
			page, err := be.ListUploads(ctx, b.Name, opts)
			if err != nil {
				if errors.Is(err, backend.ErrNoSuchBucket) {
					break
				}
				return err
			}
			n += len(page.Uploads)
			if !page.IsTruncated {
				break
			}
			opts.KeyMarker, opts.UploadIDMarker = page.NextKeyMarker, page.NextUploadIDMarker
		}
		counts[b.Name] = n
	}
	m.SetOpenUploads(counts)
	return nil
}
