package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"envelopegw/connlimit"
	"envelopegw/envelope"
	"envelopegw/memtrim"
	"envelopegw/s3api"
)

func init() {
	register("serve", "run the S3 gateway", func(args []string) error {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		// Once draining, a second signal kills at once.
		go func() { <-ctx.Done(); stop() }()
		err := serveMain(ctx, args, os.Getenv, os.Stdout, os.Stderr, nil)
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	})
}

// server is everything serve sets up before it listens.
type server struct {
	cfg        *serveConfig
	recipients []envelope.Recipient
	identities []envelope.Identity
	creds      credentials // the admins: --credentials, the environment, development
	users      *users      // every user, with policies; swapped on SIGHUP
	keyring    *keyring    // per-bucket recipients (--keyring); nil without
	stateKey   []byte
	log        *slog.Logger
	signing    serverSigning

	devIdentity   string // path, when the development identity is in use
	devAK, devSK  string // when development credentials are in use
	createdNotice []string
}

// serveMain runs the gateway until ctx is done, then drains requests in
// flight. ready, when set, is called with the bound address (tests listen
// on port 0).
func serveMain(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready func(net.Addr)) error {
	cfg, err := parseServeFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stderr)
	if err := os.MkdirAll(cfg.data, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	srv, err := setUp(cfg, logger)
	if err != nil {
		return err
	}
	if cfg.printConfig {
		srv.printConfig(stdout)
		return nil
	}
	defer clear(srv.stateKey)
	rt, err := srv.build()
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return err
	}
	admin, err := rt.startAdmin(cfg.adminListen, logger)
	if err != nil {
		ln.Close()
		return err
	}
	if admin != nil {
		defer admin.Close()
	}
	rep := connlimit.NewReporter(logger, limitLogInterval)
	rep.Count = rt.metrics.LimitHit
	ln = cfg.limits.limitedListener(ln, rep)
	// No ReadTimeout or WriteTimeout: those are totals and would cut off
	// a long upload or download. Request bodies and response writes have
	// idle deadlines instead (--stall-timeout, in s3api and connlimit).
	hw := cfg.limits.headerWatch(rep)
	var idle memtrim.Tracker
	hs := &http.Server{
		Handler:           hw.handler(idle.Wrap(rt.handler)),
		ReadHeaderTimeout: cfg.limits.headerTimeout,
		// net/http's default (1 MiB) would let each connection buffer 16
		// times what s3api accepts; a little above s3api's limit keeps its
		// S3 error for headers just over it.
		MaxHeaderBytes: 2 * s3api.MaxHeaderBytes,
		// Over TLS, HTTP/2 multiplexes requests on one connection, which
		// the connection caps then do not bound: cap streams too.
		HTTP2:       &http.HTTP2Config{MaxConcurrentStreams: maxStreamsPerConn},
		IdleTimeout: 2 * time.Minute,
		ConnState:   hw.connState,
		ConnContext: hw.connContext,
		ErrorLog:    slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if cfg.tlsCert != "" {
		scheme = "https"
		hs.TLSConfig = &tls.Config{GetCertificate: rt.cert.get, MinVersion: tls.VersionTLS12}
	}
	endpoint := scheme + "://" + ln.Addr().String()
	srv.logStartup(endpoint)
	srv.banner(stdout, endpoint)

	bctx, stopBackground := context.WithCancel(context.Background())
	waitBackground := rt.startBackground(bctx, srv)
	go idle.Run(bctx, memtrim.DefaultPolicy, nil)
	defer waitBackground()
	defer stopBackground()

	errc := make(chan error, 1)
	go func() {
		if cfg.tlsCert != "" {
			errc <- hs.ServeTLS(ln, "", "")
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	if ready != nil {
		ready(ln.Addr())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	return rt.drain(hs, admin, cfg.drain, logger)
}

// drain answers not-ready from now on, waits up to timeout for requests in
// flight, then stops the admin listener too (it answers the probes while
// the S3 port drains).
func (rt *stack) drain(hs, admin *http.Server, timeout time.Duration, logger *slog.Logger) error {
	rt.health.draining.Store(true)
	logger.Info("shutting down: draining requests in flight", "timeout", timeout)
	dctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := hs.Shutdown(dctx)
	if admin != nil {
		admin.Close()
	}
	closeInventory(rt.inventory, logger)
	if err != nil {
		hs.Close()
		return fmt.Errorf("shutdown: requests still running after %s: %w", timeout, err)
	}
	logger.Info("stopped")
	return nil
}

// banner prints the development setup's endpoint and keys to stdout.
func (s *server) banner(stdout io.Writer, endpoint string) {
	if s.devAK == "" && s.devIdentity == "" {
		return
	}
	ak, sk := s.devAK, s.devSK
	if ak == "" {
		ak, sk = "(your access key)", "(your secret key)"
	}
	id, _ := filepath.Abs(s.devIdentity)
	if s.devIdentity == "" {
		id = "(your identity file)"
	}
	devBanner(stdout, endpoint, ak, sk, id, s.cfg.tlsCert != "")
}

// loadCredentials reads the credentials file and the environment's
// access key; serve starts with them and SIGHUP reads them again.
func (cfg *serveConfig) loadCredentials() (credentials, error) {
	c := credentials{}
	if cfg.credentials != "" {
		if err := loadCredentialsFile(cfg.credentials, c); err != nil {
			return nil, err
		}
	}
	if cfg.accessKey != "" {
		if err := c.add(cfg.accessKey, cfg.secretKey, envPrefix+"ACCESS_KEY"); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func janitorInterval(maxAge time.Duration) time.Duration {
	if maxAge > 0 && maxAge/10 < time.Hour {
		return max(maxAge/10, time.Second)
	}
	return time.Hour
}

// setUp loads keys and credentials, creating the development setup and
// the state key where they are missing.
func setUp(cfg *serveConfig, logger *slog.Logger) (*server, error) {
	s := &server{cfg: cfg, log: logger}
	var err error
	if s.recipients, err = loadRecipients(cfg.recipients); err != nil {
		return nil, err
	}
	if s.identities, err = loadIdentities(cfg.identities); err != nil {
		return nil, err
	}
	if len(s.recipients) == 0 && len(s.identities) == 0 {
		path, ids, created, err := ensureDevIdentity(cfg.data)
		if err != nil {
			return nil, err
		}
		s.identities, s.devIdentity = ids, path
		if created {
			s.createdNotice = append(s.createdNotice, "development identity "+path)
		}
	}
	if len(s.recipients) == 0 {
		for _, id := range s.identities {
			s.recipients = append(s.recipients, id.Recipient())
		}
	}

	if s.creds, err = cfg.loadCredentials(); err != nil {
		return nil, err
	}
	if len(s.creds) == 0 && cfg.users == "" {
		ak, sk, path, created, err := ensureDevCredentials(cfg.data)
		if err != nil {
			return nil, err
		}
		s.creds[ak] = sk
		s.devAK, s.devSK = ak, sk
		if created {
			s.createdNotice = append(s.createdNotice, "development credentials "+path)
		}
	}

	if s.users, err = s.loadUsers(); err != nil {
		return nil, err
	}
	if err := s.loadKeyringInto(); err != nil {
		return nil, err
	}

	skPath := cfg.stateKey
	if skPath == "" {
		skPath = defaultStateKeyPath(cfg.data)
	}
	key, created, err := loadStateKey(skPath)
	if err != nil {
		return nil, err
	}
	s.stateKey = key
	if created {
		s.createdNotice = append(s.createdNotice, "multipart state key "+skPath)
	}
	if err := s.setUpSigning(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *server) mode() string {
	if len(s.identities) == 0 {
		return "ingest-only (writes, HEAD and listings; reads answer 403)"
	}
	return "read-write"
}

// logStartup logs the configuration: key IDs and access keys, never
// secrets.
func (s *server) logStartup(endpoint string) {
	for _, n := range s.createdNotice {
		s.log.Info("created " + n)
	}
	abs, _ := filepath.Abs(s.cfg.data)
	s.log.Info("envelopegw serving",
		"endpoint", endpoint,
		"data", abs,
		"mode", s.mode(),
		"recipients", recipientIDs(s.recipients),
		"identities", identityIDs(s.identities),
		"access_keys", strings.Join(s.users.cur.Load().accessKeys(), ","),
		"keyring", s.keyringDesc(),
		"region", s.cfg.region,
		"domains", strings.Join(s.cfg.domains, ","),
		"fsync", !s.cfg.noFsync,
		"upload_max_age", s.cfg.uploadMaxAge,
		"stall_timeout", s.cfg.limits.stall,
		"header_timeout", s.cfg.limits.headerTimeout,
		"max_conns", s.cfg.limits.effectiveMaxConns(),
		"max_conns_per_ip", s.cfg.limits.maxConnsPerIP,
	)
	if s.cfg.noFsync {
		s.log.Warn("--no-fsync: acknowledged objects may be lost on power failure")
	}
	s.logSigning()
	if len(s.identities) > 0 && !s.canReadOwnWrites() {
		s.log.Warn("none of the identities is a recipient: objects written now can be read only by other key holders",
			"recipients", recipientIDs(s.recipients), "identities", identityIDs(s.identities))
	}
	if s.devIdentity != "" {
		s.log.Warn("development identity in use: its private key is stored on the data volume", "path", s.devIdentity)
	} else if s.cfg.stateKey == "" {
		// The state key seals object metadata (ETags, checksums, user
		// metadata), never a data key; beside that metadata on the volume
		// it hides nothing from whoever copies it.
		s.log.Warn("the multipart state key is on the data volume: a copy of the volume reveals the sealed metadata (ETags, checksums, user metadata), though no object or upload data; give every gateway the same key from elsewhere with --state-key",
			"path", defaultStateKeyPath(s.cfg.data))
	}
}

// canReadOwnWrites reports whether some identity is among the recipients.
// Explicit recipients are used as given (an operator rotating away from an
// old key keeps its identity to read old objects and must not seal new
// ones to it), so the answer can be no.
func (s *server) canReadOwnWrites() bool {
	for _, id := range s.identities {
		for _, r := range s.recipients {
			if id.KeyID() == r.KeyID() {
				return true
			}
		}
	}
	return false
}

// printConfig writes the effective configuration for --print-config.
func (s *server) printConfig(w io.Writer) {
	c := s.cfg
	abs, _ := filepath.Abs(c.data)
	fmt.Fprintf(w, "listen          %s\n", c.listen)
	fmt.Fprintf(w, "data            %s\n", abs)
	fmt.Fprintf(w, "mode            %s\n", s.mode())
	for _, r := range s.recipients {
		fmt.Fprintf(w, "recipient       %s %s\n", r.Type(), r.KeyID())
	}
	for _, id := range s.identities {
		fmt.Fprintf(w, "identity        %s %s\n", id.Type(), id.KeyID())
	}
	if len(s.identities) > 0 && !s.canReadOwnWrites() {
		fmt.Fprintf(w, "warning         no identity is a recipient: this gateway cannot read what it writes\n")
	}
	s.printSigning(w)
	fmt.Fprintf(w, "access keys     %s\n", strings.Join(s.users.cur.Load().accessKeys(), " "))
	fmt.Fprintf(w, "region          %s\n", c.region)
	fmt.Fprintf(w, "domains         %s\n", strings.Join(c.domains, " "))
	tls := "off"
	if c.tlsCert != "" {
		tls = c.tlsCert
	}
	fmt.Fprintf(w, "tls             %s\n", tls)
	fmt.Fprintf(w, "fsync           %v\n", !c.noFsync)
	fmt.Fprintf(w, "upload max age  %s\n", c.uploadMaxAge)
	fmt.Fprintf(w, "drain timeout   %s\n", c.drain)
	c.limits.print(w)
}
