package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"envelopegw/backend/posix"
	"envelopegw/backend/s3"
)

func init() {
	register("fsck", "report damaged records on a data directory, and remove them on request", func(args []string) error {
		err := fsckMain(context.Background(), args, os.Stdout, os.Stderr)
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	})
}

// fsckMain reads every record of a data directory. Without
// --remove-damaged it opens the directory read-only and exits non-zero if
// anything is damaged; with it, it removes each damaged record as a
// DELETE of its key would (safe while gateways serve the volume) and the
// next sweep reclaims the data files they named.
func fsckMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fsck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var store storeFlags
	addStoreFlags(fs, &store, true)
	remove := fs.Bool("remove-damaged", false, "remove the damaged records (their keys become absent); --data only")
	reindex := fs.Bool("reindex", false, "create the index entries that records written before the indexes existed lack; --upstream only")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: envelopegw fsck --data DIR [--remove-damaged]\n       envelopegw fsck --upstream URL [--reindex]\n\nReads every object head, upload and part record and lists the damaged\nones (truncated, zero-length, failing their checksum; upstream: not\ndecoding or naming another key) and, upstream, the records no index\nentry makes visible to listings. Exits 1 if any remain.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return errors.New("fsck takes no arguments")
	}
	if store.upstream() && *remove {
		return errors.New("--remove-damaged is for --data; upstream, overwrite or delete the damaged keys")
	}
	if !store.upstream() && *reindex {
		return errors.New("--reindex is for --upstream")
	}
	be, err := store.open(ctx, !*remove)
	if err != nil {
		return err
	}
	if ub, ok := be.(*s3.Backend); ok {
		return fsckUpstream(ctx, ub, *reindex, stdout)
	}
	pb, ok := be.(*posix.Backend)
	if !ok {
		return fmt.Errorf("fsck checks a POSIX data directory's records, not a %T", be)
	}
	rep, err := pb.Check(ctx, *remove)
	left := 0
	for _, d := range rep.Damaged {
		what := d.Bucket
		if d.Key != "" {
			what += "/" + d.Key
		}
		state := "damaged"
		if d.Removed {
			state = "removed"
		} else {
			left++
		}
		fmt.Fprintf(stdout, "%s %s record %s: %s (%v)\n", state, d.Kind, what, d.Path, d.Err)
	}
	fmt.Fprintf(stdout, "checked %d buckets, %d heads, %d uploads, %d parts: %d damaged, %d removed\n",
		rep.Buckets, rep.Heads, rep.Uploads, rep.Parts, len(rep.Damaged), len(rep.Damaged)-left)
	if err != nil {
		return err
	}
	if left > 0 {
		return fmt.Errorf("%d damaged record(s); rerun with --remove-damaged to remove them", left)
	}
	return nil
}
