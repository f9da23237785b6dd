// Command xbcloud is the project's xbcloud-pattern S3 client: it uploads,
// downloads and deletes xbstream backups exactly the way Percona's xbcloud
// talks to S3 (see package envelopegw/testharness/xbcloud), so that the
// gateway can be exercised by that wire pattern in tests, in CI and from a
// shell:
//
//	mariadb-backup --backup --stream=xbstream | xbcloud put --storage=s3 \
//	    --s3-endpoint=http://127.0.0.1:9000 --s3-access-key=AK \
//	    --s3-secret-key=SK --s3-bucket=backups --parallel=8 full-2026-11-29
//	xbcloud get --storage=s3 ... full-2026-11-29 | mbstream -x -C /restore
//	xbcloud delete --storage=s3 ... full-2026-11-29
//
// It exits 1 on any failure, with the reason on stderr.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"envelopegw/testharness/xbcloud"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 1 || (args[0] != "put" && args[0] != "get" && args[0] != "delete") {
		return fmt.Errorf("usage: xbcloud put|get|delete --storage=s3 --s3-endpoint=URL --s3-access-key=AK --s3-secret-key=SK --s3-bucket=B [flags] NAME")
	}
	op := args[0]
	fs := flag.NewFlagSet("xbcloud "+op, flag.ContinueOnError)
	var cfg xbcloud.Config
	storage := fs.String("storage", "s3", "storage type (only s3)")
	fs.StringVar(&cfg.Endpoint, "s3-endpoint", "", "endpoint URL; without http:// HTTPS is used")
	fs.StringVar(&cfg.AccessKey, "s3-access-key", "", "access key")
	fs.StringVar(&cfg.SecretKey, "s3-secret-key", "", "secret key")
	fs.StringVar(&cfg.SessionToken, "s3-session-token", "", "session token (X-Amz-Security-Token)")
	fs.StringVar(&cfg.Bucket, "s3-bucket", "", "bucket")
	fs.StringVar(&cfg.Region, "s3-region", "us-east-1", "region")
	fs.StringVar(&cfg.APIVersion, "s3-api-version", "auto", "signature version: 2, 4 or auto")
	fs.StringVar(&cfg.BucketLookup, "s3-bucket-lookup", "auto", "bucket addressing: path, dns or auto")
	fs.StringVar(&cfg.StorageClass, "s3-storage-class", "", "X-Amz-Storage-Class to send")
	fs.IntVar(&cfg.Parallel, "parallel", 1, "requests in flight")
	fs.BoolVar(&cfg.MD5, "md5", false, "put: also upload NAME.md5 with the MD5 of every object")
	fs.IntVar(&cfg.MaxRetries, "max-retries", 10, "retries of a transient failure")
	fs.DurationVar(&cfg.RetryBackoff, "retry-backoff", 100*time.Millisecond, "first retry delay, doubled each time")
	fs.StringVar(&cfg.ConnectTo, "connect-to", "", "test aid: connect to HOST:PORT whatever the Host header (DNS style on 127.0.0.1)")
	fs.StringVar(&cfg.CACert, "cacert", "", "PEM `file` of CA certificates to trust for HTTPS")
	fs.BoolVar(&cfg.Insecure, "insecure", false, "do not verify the server's certificate")
	verbose := fs.Bool("verbose", false, "log progress to stderr")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *storage != "s3" {
		return fmt.Errorf("xbcloud: --storage=%s is not supported (only s3)", *storage)
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("xbcloud %s: want exactly one backup NAME after the flags, got %q", op, fs.Args())
	}
	name := fs.Arg(0)
	if *verbose {
		cfg.Log = os.Stderr
	}
	c, err := xbcloud.New(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch op {
	case "put":
		st, err := c.Put(ctx, name, os.Stdin)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "xbcloud: uploaded %s: %d files, %d objects, %d bytes\n", name, st.Files, st.Objects, st.Bytes)
	case "get":
		w := bufio.NewWriterSize(os.Stdout, 1<<20)
		if _, err := c.Get(ctx, name, w); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return fmt.Errorf("xbcloud get: writing stdout: %w", err)
		}
	case "delete":
		if _, err := c.Delete(ctx, name); err != nil {
			return err
		}
	}
	return nil
}
