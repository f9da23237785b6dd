package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"envelopegw/backend"
	"envelopegw/backend/s3"
	"envelopegw/gateway"
)

func init() {
	register("scrub", "check every object's signature and stored bytes, with no private key", func(args []string) error {
		err := scrubMain(context.Background(), args, os.Stdout, os.Stderr)
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	})
}

// scrubCounts tallies a scrub.
type scrubCounts struct {
	objects, bytes          int64
	damaged, forged, orphan int
}

// scrubMain checks a data directory (or an upstream bucket) read-only: every object's record
// against the trusted signers and every stored ciphertext byte against the
// signed digests, and lists uploads abandoned longer than --upload-max-age.
// Each problem is one line on stdout; the exit status is non-zero when any
// was found, so bit rot is found before a restore needs the backup.
func scrubMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("scrub", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var store storeFlags
	addStoreFlags(fs, &store, true)
	var signers listFlag
	fs.Var(&signers, "signer", "trusted signer key `file` (a gateway's signing key FILE.pub); repeatable")
	maxAge := 7 * 24 * time.Hour
	fs.Var((*ageFlag)(&maxAge), "upload-max-age", "report multipart uploads older than this `age` as orphaned")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: envelopegw scrub (--data DIR | --upstream URL) --signer FILE [--signer ...] [BUCKET ...]\n\nChecks every object (of the named buckets, or all) without any private key:\nsignature, name, and every stored byte against the signed digests. Lists\ndamaged, forged and orphaned objects; exits 1 when any is found.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	trusted, err := loadSigners(signers)
	if err != nil {
		return err
	}
	if len(trusted) == 0 {
		return errors.New("no trusted signer: give the gateways' public signing keys with --signer FILE")
	}
	be, err := store.open(ctx, true)
	if err != nil {
		return err
	}
	svc, err := gateway.New(gateway.Config{Backend: be, Signers: trusted})
	if err != nil {
		return err
	}
	buckets := fs.Args()
	if len(buckets) == 0 {
		bs, err := be.ListBuckets(ctx)
		if err != nil {
			return err
		}
		for _, b := range bs {
			buckets = append(buckets, b.Name)
		}
	}
	var c scrubCounts
	for _, b := range buckets {
		if err := scrubBucket(ctx, svc, be, b, maxAge, &c, stdout); err != nil {
			return fmt.Errorf("bucket %s: %w", b, err)
		}
	}
	if ub, ok := be.(*s3.Backend); ok {
		// Listings skip damaged records; read them all to report those.
		err := scrubUpstreamRecords(ctx, ub, fs.Args(), func(bucket, verdict, key, why string) {
			c.damaged++
			if key == "" {
				fmt.Fprintf(stdout, "%-8s %s\n", verdict, why)
				return
			}
			fmt.Fprintf(stdout, "%-8s %s/%s: %s\n", verdict, bucket, displayKey(key), why)
		})
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "scrubbed %d objects, %d stored bytes: %d damaged, %d forged, %d orphaned\n", c.objects, c.bytes, c.damaged, c.forged, c.orphan)
	if n := c.damaged + c.forged + c.orphan; n > 0 {
		return fmt.Errorf("%d problems found", n)
	}
	return nil
}

func scrubBucket(ctx context.Context, svc *gateway.Service, be backend.Backend, bucket string, maxAge time.Duration, c *scrubCounts, out io.Writer) error {
	report := func(verdict, key, why string) {
		switch verdict {
		case gateway.ScrubDamaged:
			c.damaged++
		case gateway.ScrubForged:
			c.forged++
		case gateway.ScrubOrphaned:
			c.orphan++
		}
		fmt.Fprintf(out, "%-8s %s/%s: %s\n", verdict, bucket, displayKey(key), why)
	}
	after := ""
	for {
		page, err := be.List(ctx, bucket, backend.ListOptions{After: after, MaxKeys: 1000})
		if err != nil {
			return err
		}
		results := scrubPage(ctx, svc, bucket, page.Objects)
		for i, o := range page.Objects {
			verdict, n, why, err := results[i].verdict, results[i].read, results[i].why, results[i].err
			if errors.Is(err, backend.ErrNoSuchKey) {
				continue // deleted since the listing
			}
			if err != nil {
				report(gateway.ScrubDamaged, o.Key, "unreadable: "+err.Error())
				continue
			}
			c.objects++
			c.bytes += n
			if verdict != gateway.ScrubOK {
				report(verdict, o.Key, why)
			}
		}
		if !page.IsTruncated {
			break
		}
		after = page.NextAfter
	}
	return scrubUploads(ctx, be, bucket, maxAge, report)
}

// scrubWorkers is how many objects of a page are checked at once: the
// signature and hashing use every core, and a cold volume gets several
// reads in flight instead of one.
const scrubWorkers = 8

type scrubResult struct {
	verdict, why string
	read         int64
	err          error
}

// scrubPage checks the objects of one listing page concurrently; the
// results are in page order, so the report stays in key order.
func scrubPage(ctx context.Context, svc *gateway.Service, bucket string, objs []backend.ObjectInfo) []scrubResult {
	res := make([]scrubResult, len(objs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(scrubWorkers, len(objs)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(objs); i = int(next.Add(1) - 1) {
				r := &res[i]
				r.verdict, r.read, r.why, r.err = svc.ScrubObject(ctx, bucket, objs[i].Key)
			}
		})
	}
	wg.Wait()
	return res
}

// scrubUploads reports uploads older than maxAge: their parts hold data
// that no object names.
func scrubUploads(ctx context.Context, be backend.Backend, bucket string, maxAge time.Duration, report func(verdict, key, why string)) error {
	opts := backend.UploadListOptions{}
	for {
		page, err := be.ListUploads(ctx, bucket, opts)
		if err != nil {
			return err
		}
		for _, u := range page.Uploads {
			if age := time.Since(u.Initiated); maxAge > 0 && age > maxAge {
				report(gateway.ScrubOrphaned, u.Key, fmt.Sprintf("multipart upload %s abandoned %s ago", u.UploadID, age.Round(time.Minute)))
			}
		}
		if !page.IsTruncated {
			return nil
		}
		opts.KeyMarker, opts.UploadIDMarker = page.NextKeyMarker, page.NextUploadIDMarker
	}
}

// displayKey is how a report names a stored key: a noncurrent version as
// its key and version ID rather than the gateway's reserved name, and a
// name with control characters quoted, so that no key can write escape
// sequences to an operator's terminal.
func displayKey(stored string) string {
	key, version := gateway.InventoryName(stored)
	if strings.IndexFunc(key, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		key = strconv.Quote(key)
	}
	if version != "" {
		return key + " (version " + version + ")"
	}
	return key
}
