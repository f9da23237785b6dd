package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// envPrefix prefixes the environment variable of every serve flag:
// --tls-cert is ENVELOPEGW_TLS_CERT. A flag given on the command line wins
// over its variable.
const envPrefix = "ENVELOPEGW_"

// serveConfig is the parsed serve command line.
type serveConfig struct {
	listen       string
	data         string
	recipients   []string // recipient strings or files
	identities   []string // identity files
	domains      []string
	tlsCert      string
	tlsKey       string
	region       string
	noFsync      bool
	uploadMaxAge time.Duration
	stateKey     string // "" means <data>/.envelopegw/state.key
	credentials  string
	users        string // users file: users, secrets, policies
	keyring      string // keyring file: per-bucket recipients
	printConfig  bool
	drain        time.Duration
	logLevel     string
	limits       limitConfig
	logFormat    string // text or json
	md5          string // simd or stdlib: how request bodies' MD5 is computed
	accessLog    bool
	adminListen  string // "" means no admin listener
	metricsToken string // file with the bearer token for /metrics on the S3 port
	probeEvery   time.Duration
	signingKey   string   // "" means <data>/.envelopegw/signing.key
	signers      []string // trusted signer files or strings
	skipSigner   bool

	upstream upstreamConfig // --upstream: the upstream-S3 backend instead of --data

	// From the environment only: a single user.
	accessKey, secretKey string
}

// listFlag is a repeatable flag; from the environment it takes a
// comma-separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// ageFlag is a duration that also accepts whole days ("7d").
type ageFlag time.Duration

func (a *ageFlag) String() string { return time.Duration(*a).String() }
func (a *ageFlag) Set(v string) error {
	d, err := parseAge(v)
	*a = ageFlag(d)
	return err
}

func parseAge(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 36500 {
			return 0, fmt.Errorf("invalid number of days %q", v)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (e.g. 7d, 36h)", v)
	}
	return d, nil
}

// multiValued names the flags whose environment variable is a list.
var multiValued = map[string]bool{"recipient": true, "identity": true, "domain": true, "signer": true}

// parseServeFlags parses args, then fills every flag not given from its
// ENVELOPEGW_* variable through getenv.
func parseServeFlags(args []string, getenv func(string) string, stderr io.Writer) (*serveConfig, error) {
	c := &serveConfig{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.listen, "listen", "127.0.0.1:9000", "`address` to listen on")
	fs.StringVar(&c.data, "data", "./data", "data `directory` (ciphertext, metadata, upload state)")
	fs.Var((*listFlag)(&c.recipients), "recipient", "`recipient` string, or a file of recipients; repeatable")
	fs.Var((*listFlag)(&c.identities), "identity", "identity `file` (private keys) for reads; repeatable; none = ingest-only")
	fs.Var((*listFlag)(&c.domains), "domain", "base `domain` for virtual-host style requests; repeatable")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "TLS certificate `file` (PEM); serves HTTPS with --tls-key")
	fs.StringVar(&c.tlsKey, "tls-key", "", "TLS private key `file` (PEM)")
	fs.StringVar(&c.region, "region", "us-east-1", "the `region` this endpoint serves: SigV4 signatures must name it, as on S3")
	fs.BoolVar(&c.noFsync, "no-fsync", false, "do not fsync (faster; a power loss may lose acknowledged objects)")
	c.uploadMaxAge = 7 * 24 * time.Hour
	fs.Var((*ageFlag)(&c.uploadMaxAge), "upload-max-age", "abort unfinished multipart uploads after this `age` (e.g. 7d, 36h)")
	fs.StringVar(&c.stateKey, "state-key", "", "multipart state key `file`, shared by all gateways on one volume (default <data>/.envelopegw/state.key)")
	fs.StringVar(&c.credentials, "credentials", "", "credentials `file`: lines \"ACCESSKEY SECRETKEY\", mode 0600")
	fs.StringVar(&c.users, "users", "", "users `file` (JSON: access keys, secrets, policies), mode 0600; reloaded on SIGHUP")
	fs.StringVar(&c.keyring, "keyring", "", "keyring `file` (JSON: bucket patterns to recipients; first match wins, others use --recipient); reloaded on SIGHUP")
	fs.BoolVar(&c.printConfig, "print-config", false, "print the effective configuration (key IDs, never keys) and exit")
	fs.DurationVar(&c.drain, "drain-timeout", 60*time.Second, "on SIGTERM, wait this long for requests in flight")
	fs.StringVar(&c.logLevel, "log-level", "info", "log `level`: debug, info, warn or error")
	addLimitFlags(fs, &c.limits)
	addUpstreamFlags(fs, &c.upstream)
	fs.StringVar(&c.logFormat, "log-format", "text", "log `format`: text or json")
	fs.StringVar(&c.md5, "md5", "simd", "how to compute request bodies' MD5 (ETag): `simd` (multi-buffer lanes from five concurrent uploads on, crypto/md5 below) or stdlib (crypto/md5 on each request)")
	fs.BoolVar(&c.accessLog, "access-log", true, "log one line per request (--access-log=false keeps only warnings and errors)")
	fs.StringVar(&c.adminListen, "admin-listen", "", "`address` for /metrics and /health/* (e.g. 127.0.0.1:9001); empty: none")
	fs.DurationVar(&c.probeEvery, "health-probe-interval", 10*time.Second, "how often readiness checks that the data volume (or, with --upstream, the upstream bucket) takes writes")
	fs.StringVar(&c.metricsToken, "metrics-token", "", "`file` holding a bearer token (mode 0600): serves /metrics on the S3 port to requests that present it")
	fs.StringVar(&c.signingKey, "signing-key", "", "signing key `file` that signs every object (default <data>/.envelopegw/signing.key, created on first use)")
	fs.Var((*listFlag)(&c.signers), "signer", "trusted signer key `file` (FILE.pub of another gateway's signing key); repeatable; the gateway always trusts its own")
	fs.BoolVar(&c.skipSigner, "insecure-skip-signer", false, "serve objects whatever signed them, and unsigned format v1 objects (anyone with write access to the volume can then plant objects)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: envelopegw serve [flags]\n\nServes the S3 API, storing only ciphertext under --data. Every flag can also be\nset as an environment variable (--tls-cert is %sTLS_CERT; lists are\ncomma-separated); the flag wins. Credentials: --credentials and/or\n%sACCESS_KEY with %sSECRET_KEY. With no keys and no credentials a\ndevelopment setup is created under <data>/.envelopegw and printed.\n\n", envPrefix, envPrefix, envPrefix)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || envErr != nil {
			return
		}
		name := envPrefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		v := getenv(name)
		if v == "" {
			return
		}
		vals := []string{v}
		if multiValued[f.Name] {
			vals = splitList(v)
		}
		for _, x := range vals {
			if err := f.Value.Set(x); err != nil {
				envErr = fmt.Errorf("%s: %v", name, err)
				return
			}
		}
	})
	if envErr != nil {
		return nil, envErr
	}
	c.accessKey, c.secretKey = getenv(envPrefix+"ACCESS_KEY"), getenv(envPrefix+"SECRET_KEY")
	c.upstream.fromEnv(getenv)
	return c, c.check()
}

func splitList(v string) []string {
	var out []string
	for _, x := range strings.Split(v, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func (c *serveConfig) check() error {
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if (c.accessKey == "") != (c.secretKey == "") {
		return fmt.Errorf("%sACCESS_KEY and %sSECRET_KEY go together", envPrefix, envPrefix)
	}
	if c.data == "" {
		return errors.New("--data must not be empty")
	}
	if c.probeEvery <= 0 {
		return errors.New("--health-probe-interval must be positive")
	}
	if c.drain < 0 {
		return errors.New("--drain-timeout must not be negative")
	}
	if err := c.limits.check(); err != nil {
		return err
	}
	if err := c.upstream.check(); err != nil {
		return err
	}
	switch c.logLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("--log-level %q: want debug, info, warn or error", c.logLevel)
	}
	switch c.logFormat {
	case "text", "json":
	default:
		return fmt.Errorf("--log-format %q: want text or json", c.logFormat)
	}
	switch c.md5 {
	case "simd", "stdlib":
	default:
		return fmt.Errorf("--md5 %q: want simd or stdlib", c.md5)
	}
	return nil
}
