package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"envelopegw/backend"
	"envelopegw/envelope"
	"envelopegw/gateway"
)

// Bulk rewrap: `rewrap --data DIR ... BUCKET[/PREFIX]` re-seals every
// object of a bucket (or of the keys under a prefix) in a gateway's data
// directory, through gateway.Service.Rewrap, which changes only the
// envelope header in each object's metadata.
//
// It keeps no journal because it needs none: Rewrap skips an object that
// is already sealed exactly as wanted, so after a crash, a kill or Ctrl-C
// the same command finishes the job, and a second run reports everything
// skipped. Each object's new metadata replaces the old atomically, under
// a precondition, so gateways may keep serving and writing the bucket:
// an object they replace meanwhile is read again and rewrapped. Gateways
// should already seal new objects for the new recipients (--recipient or
// --keyring) before a rewrap that removes one, or a removed key would
// come back with each new object.
//
// With --upstream URL instead of --data it rewraps the objects a gateway
// keeps on an upstream S3 bucket: the same Service over the upstream-S3
// backend, whose SetMeta and conditional writes are compare-and-swaps on
// the object's head, so the same guarantees hold across every gateway in
// front of that bucket. An upstream has no inventory log to append to.

type bulkRewrapFlags struct {
	data       string
	up         upstreamConfig
	dryRun     bool
	parallel   int
	signingKey string
	signers    listFlag
}

func (b *bulkRewrapFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&b.data, "data", "", "rewrap every object of BUCKET[/PREFIX] in this gateway data `directory`")
	addUpstreamFlags(fs, &b.up)
	fs.BoolVar(&b.dryRun, "dry-run", false, "with --data or --upstream: list what would change, change nothing")
	fs.IntVar(&b.parallel, "j", runtime.NumCPU(), "with --data or --upstream: objects rewrapped in `parallel`")
	fs.StringVar(&b.signingKey, "signing-key", "", "with --data or --upstream: the signing key `file` that re-signs format v2 records (their header changes)")
	fs.Var(&b.signers, "signer", "with --data or --upstream: trusted signer key `file` of the objects (repeatable; the signing key's own is trusted)")
}

// rewrapSummary counts outcomes; failures are also listed on stderr.
type rewrapSummary struct {
	rewrapped, skipped, failed atomic.Int64
}

func (b *bulkRewrapFlags) run(s stdio, target string, ids []envelope.Identity, add []envelope.Recipient, remove []string) error {
	bucket, prefix, _ := strings.Cut(target, "/")
	if bucket == "" {
		return fmt.Errorf("%w: want BUCKET or BUCKET/PREFIX, not %q", errUsage, target)
	}
	if b.parallel < 1 {
		return fmt.Errorf("%w: -j must be at least 1", errUsage)
	}
	if b.data != "" && b.up.url != "" {
		return fmt.Errorf("%w: give --data or --upstream, not both", errUsage)
	}
	store := storeFlags{data: b.data, up: b.up}
	be, err := store.open(context.Background(), b.dryRun)
	if err != nil {
		return err
	}
	cfg := gateway.Config{Backend: be, Identities: ids}
	if b.signingKey != "" {
		if cfg.SigningKey, err = loadSigningKey(b.signingKey); err != nil {
			return err
		}
	}
	if cfg.Signers, err = loadSigners(b.signers); err != nil {
		return err
	}
	if !b.dryRun && !store.upstream() {
		// A rewrap rewrites records: the volume's inventory logs them.
		inv, err := openInventory(b.data, cfg.SigningKey, false)
		if err != nil {
			return err
		}
		defer closeInventory(inv, slog.Default())
		cfg.Inventory = asInventory(inv)
	}
	svc, err := gateway.New(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	total, err := countKeys(ctx, be, bucket, prefix)
	if err != nil {
		return err
	}
	bar := startCountProgress(s, "rewrap", total)
	var sum rewrapSummary
	var outMu sync.Mutex
	keys := make(chan string)
	var wg sync.WaitGroup
	for range b.parallel {
		wg.Go(func() {
			for key := range keys {
				res, err := svc.Rewrap(ctx, bucket, key, add, remove, b.dryRun)
				outMu.Lock()
				switch {
				case err != nil && ctx.Err() != nil:
					// Interrupted: this object is as it was; a rerun does it.
				case err != nil:
					sum.failed.Add(1)
					fmt.Fprintf(s.err, "rewrap: %v\n", err)
				case !res.Changed:
					sum.skipped.Add(1)
				default:
					sum.rewrapped.Add(1)
					if b.dryRun {
						fmt.Fprintf(s.out, "would rewrap %s/%s: %s -> %s\n", bucket, displayKey(key), strings.Join(res.Before, ","), strings.Join(res.After, ","))
					}
				}
				outMu.Unlock()
				bar.add(1)
			}
		})
	}
	listErr := eachKey(ctx, be, bucket, prefix, func(key string) {
		select {
		case keys <- key:
		case <-ctx.Done():
		}
	})
	close(keys)
	wg.Wait()
	bar.Finish()

	stale, staleErr := svc.StaleUploads(context.Background(), bucket, prefix, add, remove)
	for _, u := range stale {
		fmt.Fprintf(s.err, "rewrap: upload in progress %s/%s is sealed to the old recipients; run rewrap again once it completes, or abort it\n", bucket, u)
	}
	verb := "rewrapped"
	if b.dryRun {
		verb = "would rewrap"
	}
	fmt.Fprintf(s.out, "%s %d, skipped %d (already sealed as wanted), failed %d, of %d objects in %s; %d uploads in progress left as they are\n",
		verb, sum.rewrapped.Load(), sum.skipped.Load(), sum.failed.Load(), total, target, len(stale))
	switch {
	case ctx.Err() != nil:
		return errors.New("interrupted: run the same command again to finish (objects already done are skipped)")
	case listErr != nil:
		return listErr
	case staleErr != nil:
		return staleErr
	case sum.failed.Load() > 0:
		return fmt.Errorf("%d objects failed", sum.failed.Load())
	}
	return nil
}

// eachKey calls f with the backend key of every object of bucket under
// prefix, noncurrent versions included, in order.
func eachKey(ctx context.Context, be backend.Backend, bucket, prefix string, f func(string)) error {
	for _, p := range gateway.RewrapPrefixes(prefix) {
		if err := eachBackendKey(ctx, be, bucket, p, f); err != nil {
			return err
		}
	}
	return nil
}

func eachBackendKey(ctx context.Context, be backend.Backend, bucket, prefix string, f func(string)) error {
	after := ""
	for ctx.Err() == nil {
		page, err := be.List(ctx, bucket, backend.ListOptions{Prefix: prefix, After: after, MaxKeys: 1000})
		if err != nil {
			return fmt.Errorf("listing %s: %w", bucket, err)
		}
		for _, o := range page.Objects {
			f(o.Key)
		}
		if !page.IsTruncated {
			return nil
		}
		after = page.NextAfter
	}
	return ctx.Err()
}

func countKeys(ctx context.Context, be backend.Backend, bucket, prefix string) (int64, error) {
	var n int64
	err := eachKey(ctx, be, bucket, prefix, func(string) { n++ })
	return n, err
}
