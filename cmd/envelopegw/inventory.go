package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"envelopegw/backend"
	"envelopegw/backend/posix"
	"envelopegw/envelope"
	"envelopegw/gateway"
	"envelopegw/inventory"
)

func init() {
	register("inventory", "list backups, export the inventory's signed checkpoint, verify the volume against it", func(args []string) error {
		err := inventoryMain(context.Background(), args, os.Stdout, os.Stderr)
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	})
}

type inventoryFlags struct {
	data        string // = store.data, for the log's modes (a data directory only)
	store       storeFlags
	signers     listFlag
	asJSON      bool
	asCSV       bool
	depth       int
	export      string
	verify      bool
	checkpoint  string
	currentOnly bool
	stateKey    string // the gateway's state key file: shows sealed version IDs and retention
}

// inventoryMain is `envelopegw inventory`: one of listing BUCKET[/PREFIX],
// --export-checkpoint FILE, or --verify. It opens the volume read-only and
// needs no private key: the trusted signers' public keys verify records
// and checkpoints.
func inventoryMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f inventoryFlags
	fs := flag.NewFlagSet("inventory", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addStoreFlags(fs, &f.store, true) // --upstream lists only: the log lives on a volume
	fs.Var(&f.signers, "signer", "trusted signer key `file` (a gateway's signing key FILE.pub); repeatable")
	fs.BoolVar(&f.asJSON, "json", false, "list as JSON")
	fs.BoolVar(&f.asCSV, "csv", false, "list as CSV")
	fs.IntVar(&f.depth, "group-depth", 1, "totals per common prefix of this many '/'-separated levels below PREFIX")
	fs.StringVar(&f.export, "export-checkpoint", "", "write the log's latest signed checkpoint to `FILE` (- for stdout)")
	fs.BoolVar(&f.verify, "verify", false, "verify the log and compare the volume with it")
	fs.StringVar(&f.checkpoint, "checkpoint", "", "with --verify: an older exported checkpoint `FILE` the log must extend")
	fs.BoolVar(&f.currentOnly, "current-only", false, "list only the current version of each key (default: every version of a versioned bucket)")
	fs.StringVar(&f.stateKey, "state-key", "", "the gateway's state key `file` (serve's --state-key, default <data>/.envelopegw/state.key): with it the listing shows version IDs and retention, which are sealed")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `usage: envelopegw inventory (--data DIR | --upstream URL) --signer FILE [--state-key FILE] [--current-only] [--json|--csv] [--group-depth N] BUCKET[/PREFIX]
       envelopegw inventory --data DIR --signer FILE --export-checkpoint FILE
       envelopegw inventory --data DIR --signer FILE --verify [--checkpoint FILE]

Lists backups (key, version, latest, size, stored size, creation time,
retention, signer, recipient key IDs): every version of a versioned
bucket, by key and newest first (--current-only: the current ones), and
totals per prefix, which count every version listed; exports the inventory log's
signed checkpoint, to keep off the host; or verifies the log (its
checkpoint, and that it extends an older exported one) and reports every
object deleted, rolled back, replaced or added outside the gateway,
exiting 1 when any is found. No private key is needed.

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	f.data = f.store.data
	if f.store.upstream() && fs.NArg() == 0 {
		return fmt.Errorf("%w: on an upstream, inventory lists BUCKET[/PREFIX] only (the inventory log lives on a data directory)", errUsage)
	}
	trusted, err := loadSigners(f.signers)
	if err != nil {
		return err
	}
	if len(trusted) == 0 {
		return fmt.Errorf("%w: no trusted signer: give the gateways' public signing keys with --signer FILE", errUsage)
	}
	modes := 0
	for _, on := range []bool{f.export != "", f.verify, fs.NArg() > 0} {
		if on {
			modes++
		}
	}
	if modes != 1 || fs.NArg() > 1 || (f.checkpoint != "" && !f.verify) {
		fs.Usage()
		return fmt.Errorf("%w: give exactly one of BUCKET[/PREFIX], --export-checkpoint FILE, --verify", errUsage)
	}
	switch {
	case f.export != "":
		return exportCheckpoint(f, trusted, stdout, stderr)
	case f.verify:
		return verifyInventory(ctx, f, trusted, stdout, stderr)
	}
	return listInventory(ctx, f, trusted, fs.Arg(0), stdout)
}

// exportCheckpoint writes the latest checkpoint once it verifies, so a
// forged one is never exported as if it were the gateway's.
func exportCheckpoint(f inventoryFlags, trusted envelope.Signers, stdout, stderr io.Writer) error {
	cp, err := inventory.ReadCheckpoint(inventoryDir(f.data))
	if err != nil {
		return err
	}
	c, err := inventory.OpenCheckpoint(cp, trusted)
	if err != nil {
		return err
	}
	if f.export == "-" {
		_, err = stdout.Write(cp)
		return err
	}
	if err := writeFileAtomic(f.export, cp, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "checkpoint of %d entries signed by %s written to %s\n", c.N, c.Signer, f.export)
	return nil
}

func verifyInventory(ctx context.Context, f inventoryFlags, trusted envelope.Signers, stdout, stderr io.Writer) error {
	var older *inventory.Checkpoint
	if f.checkpoint != "" {
		b, err := os.ReadFile(f.checkpoint)
		if err != nil {
			return err
		}
		if older, err = inventory.OpenCheckpoint(b, trusted); err != nil {
			return fmt.Errorf("%s: %w", f.checkpoint, err)
		}
	}
	st, err := inventory.Replay(inventoryDir(f.data), trusted, older)
	if err != nil {
		return err
	}
	be, err := posix.New(f.data, posix.Options{ReadOnly: true, NoListSnapshots: true})
	if err != nil {
		return err
	}
	var objects int64
	findings, err := st.Diff(func(yield func(inventory.Object) error) error {
		return eachStoredObject(ctx, be, func(bucket string, o backend.ObjectInfo) error {
			objects++
			key, version := gateway.InventoryName(o.Key)
			return yield(inventory.Object{Bucket: bucket, Key: key, Version: version, RecordHash: gateway.RecordHash(o.Meta)})
		})
	}, nil)
	if err != nil {
		return err
	}
	for _, x := range findings {
		name := x.Bucket + "/" + x.Key
		if x.Version != "" {
			name += "?versionId=" + x.Version
		}
		fmt.Fprintf(stdout, "%-11s %s: %s\n", x.What, name, x.Detail)
	}
	fmt.Fprintf(stderr, "inventory: log of %d entries, checkpoint %d signed by %s", st.Entries, st.Checkpoint.N, st.Checkpoint.Signer)
	if st.Unsigned > 0 {
		fmt.Fprintf(stderr, " (%d entries past it, which a running gateway signs within %s)", st.Unsigned, inventory.DefaultSignDelay)
	}
	if older != nil {
		fmt.Fprintf(stderr, ", extends the given checkpoint (%d)", older.N)
	}
	fmt.Fprintf(stderr, "; %d objects on the volume; %d findings\n", objects, len(findings))
	if len(findings) > 0 {
		return fmt.Errorf("%d objects differ from the inventory log", len(findings))
	}
	return nil
}

// eachStoredObject calls fn for every object of every bucket, page by page.
func eachStoredObject(ctx context.Context, be backend.Backend, fn func(bucket string, o backend.ObjectInfo) error) error {
	bs, err := be.ListBuckets(ctx)
	if err != nil {
		return err
	}
	for _, b := range bs {
		err := eachObject(ctx, be, b.Name, "", func(o backend.ObjectInfo) error { return fn(b.Name, o) })
		if err != nil {
			return fmt.Errorf("bucket %s: %w", b.Name, err)
		}
	}
	return nil
}

func eachObject(ctx context.Context, be backend.Backend, bucket, prefix string, fn func(backend.ObjectInfo) error) error {
	opts := backend.ListOptions{Prefix: prefix, MaxKeys: 1000}
	for {
		page, err := be.List(ctx, bucket, opts)
		if err != nil {
			return err
		}
		for _, o := range page.Objects {
			if err := fn(o); err != nil {
				return err
			}
		}
		if !page.IsTruncated {
			return nil
		}
		opts.After = page.NextAfter
	}
}

// groupOf is the common prefix key falls under: PREFIX and then depth
// '/'-separated levels (a backup's directory of chunks).
func groupOf(prefix, key string, depth int) string {
	rest := key[len(prefix):]
	end := 0
	for range depth {
		i := strings.IndexByte(rest[end:], '/')
		if i < 0 {
			return prefix + rest[:end]
		}
		end += i + 1
	}
	return prefix + rest[:end]
}
