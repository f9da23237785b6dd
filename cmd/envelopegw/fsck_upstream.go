package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"envelopegw/backend/s3"
)

// fsckUpstream reads every record of an upstream store (s3.Backend.Check):
// it lists the damaged ones (a record that does not decode, or that names
// another key than its name stands for, as a swapped head does) and the
// records no index entry names, which listings cannot see (stores written
// before the indexes existed). With reindex it creates the missing
// entries; that is idempotent and safe while gateways serve the store, so
// an interrupted run is resumed by running it again.
func fsckUpstream(ctx context.Context, be *s3.Backend, reindex bool, stdout io.Writer) error {
	rep, err := be.Check(ctx, reindex)
	for _, d := range rep.Damaged {
		fmt.Fprintf(stdout, "damaged %s record %s: %s (%v)\n", d.Kind, damagedWhat(d), d.Name, d.Err)
	}
	fmt.Fprintf(stdout, "checked %d buckets, %d heads, %d uploads, %d parts: %d damaged, %d not indexed, %d indexed\n",
		rep.Buckets, rep.Heads, rep.Uploads, rep.Parts, len(rep.Damaged), rep.Unindexed, rep.Indexed)
	if err != nil {
		return err
	}
	var problems []string
	if len(rep.Damaged) > 0 {
		problems = append(problems, fmt.Sprintf("%d damaged record(s): overwrite or delete their keys", len(rep.Damaged)))
	}
	if left := rep.Unindexed - rep.Indexed; left > 0 {
		problems = append(problems, fmt.Sprintf("%d record(s) not indexed: rerun with --reindex", left))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// scrubUpstreamRecords reports, for scrub, the records of buckets that
// listings skip: damaged ones under the key their name stands for, and
// the count of unindexed ones (whose objects the scrub could not see).
func scrubUpstreamRecords(ctx context.Context, be *s3.Backend, buckets []string, report func(bucket, verdict, key, why string)) error {
	rep, err := be.Check(ctx, false, buckets...)
	if err != nil {
		return err
	}
	for _, d := range rep.Damaged {
		report(d.Bucket, "damaged", d.Key, fmt.Sprintf("%s record %s: %v", d.Kind, d.Name, d.Err))
	}
	if rep.Unindexed > 0 {
		report("", "damaged", "", fmt.Sprintf("%d record(s) have no index entry, so listings (and this scrub) do not see them: run envelopegw fsck --upstream URL --reindex", rep.Unindexed))
	}
	return nil
}

func damagedWhat(d s3.Damaged) string {
	if d.Key == "" {
		return d.Bucket
	}
	return d.Bucket + "/" + displayKey(d.Key)
}
