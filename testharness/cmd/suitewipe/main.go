// Command suitewipe deletes every bucket of an S3 endpoint, with its
// objects, versions (Object Lock governance bypassed) and unfinished
// uploads. The per-test conformance runner (testharness/conformance) calls
// it between tests, so that one test's leftovers cannot fail the next; a
// bucket it cannot delete (compliance-mode retention) makes it exit 1, and
// the runner then starts the server afresh.
//
//	suitewipe HOST:PORT ACCESS_KEY SECRET_KEY
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: suitewipe HOST:PORT ACCESS_KEY SECRET_KEY")
		os.Exit(2)
	}
	c, err := minio.New(os.Args[1], &minio.Options{Creds: credentials.NewStaticV4(os.Args[2], os.Args[3], ""), Region: "us-east-1"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "suitewipe:", err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bs, err := c.ListBuckets(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "suitewipe: list buckets:", err)
		os.Exit(1)
	}
	failed := false
	for _, b := range bs {
		if err := wipe(ctx, c, b.Name); err != nil {
			fmt.Fprintf(os.Stderr, "suitewipe: %s: %v\n", b.Name, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

// wipe removes bucket and everything in it.
func wipe(ctx context.Context, c *minio.Client, bucket string) error {
	for u := range c.ListIncompleteUploads(ctx, bucket, "", true) {
		if u.Err == nil {
			c.RemoveIncompleteUpload(ctx, bucket, u.Key)
		}
	}
	for o := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true, WithVersions: true}) {
		if o.Err == nil {
			c.RemoveObject(ctx, bucket, o.Key, minio.RemoveObjectOptions{VersionID: o.VersionID, GovernanceBypass: true})
		}
	}
	return c.RemoveBucket(ctx, bucket)
}
