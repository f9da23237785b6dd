package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"envelopegw/backend"
	"envelopegw/backend/posix"
	"envelopegw/backend/s3"
	"envelopegw/gateway"
	"envelopegw/inventory"
	"envelopegw/metrics"
	"envelopegw/s3api"
)

// uploadCountEvery is how often the open multipart uploads are counted
// from the volume (a listing of upload state, cheap).
const uploadCountEvery = time.Minute

// stack is what serve runs once keys and credentials are loaded.
type stack struct {
	metrics *metrics.Metrics
	posix   *posix.Backend // nil on an upstream
	// inventory logs every object change; nil on an upstream
	inventory *inventory.Log
	backend   backend.Backend // posix, or the upstream-S3 backend
	svc       *gateway.Service
	health    *health
	reload    *reloader
	cert      *liveCert
	handler   http.Handler // the S3 port
	ops       http.Handler // /metrics and /health/* for the admin port
}

// build wires backend, metrics, gateway, the S3 handler, health and
// reload together.
func (s *server) build() (*stack, error) {
	cfg := s.cfg
	rt := &stack{metrics: metrics.New(buildInfo()), cert: &liveCert{}}
	var err error
	if cfg.upstream.url != "" {
		up, err := cfg.upstream.dial(context.Background())
		if err != nil {
			return nil, err
		}
		rt.backend = up
	} else {
		if rt.posix, err = posix.New(cfg.data, posix.Options{NoFsync: cfg.noFsync, Logger: s.log}); err != nil {
			return nil, err
		}
		rt.backend = rt.posix
		if rt.inventory, err = openInventory(cfg.data, s.signing.key, cfg.noFsync); err != nil {
			return nil, err
		}
	}
	maxAge := cfg.uploadMaxAge
	if maxAge == 0 {
		maxAge = -1 // 0 on the command line means never
	}
	rt.svc, err = gateway.New(gateway.Config{
		Backend:       rt.metrics.Backend(rt.backend),
		Recipients:    s.recipients,
		Identities:    s.identities,
		Keyring:       s.gatewayKeyring(),
		StateKey:      s.stateKey,
		Logger:        s.log,
		UploadMaxAge:  maxAge,
		JanitorDone:   rt.metrics.JanitorDone,
		LifecycleDone: rt.metrics.LifecycleDone,
		Crypto:        rt.metrics,

		SigningKey:         s.signing.key,
		Signers:            s.signing.trusted,
		InsecureSkipSigner: cfg.skipSigner,
		Inventory:          asInventory(rt.inventory),
	})
	if err != nil {
		return nil, err
	}
	if cfg.tlsCert != "" {
		apply, err := rt.cert.load(cfg.tlsCert, cfg.tlsKey)
		if err != nil {
			return nil, err
		}
		apply()
	}
	var token []byte
	if cfg.metricsToken != "" {
		if token, err = readToken(cfg.metricsToken); err != nil {
			return nil, err
		}
	}
	store := "data volume"
	if rt.posix == nil {
		store = "upstream"
	}
	rt.health = newHealth(rt.svc.Recipients, store)
	rt.ops = opsHandler(rt.health, rt.metrics.Handler())
	s3h := s3api.NewHandler(s3api.Config{
		Service:      rt.svc,
		Credentials:  s.users,
		Authorizer:   s.users,
		Region:       cfg.region,
		Domains:      cfg.domains,
		Logger:       s.log,
		NoAccessLog:  !cfg.accessLog,
		Observer:     rt.metrics,
		StallTimeout: cfg.limits.stall,
		StdlibMD5:    cfg.md5 == "stdlib",
	})
	rt.handler = withOps(s3h, rt.health, rt.metrics.Handler(), token)
	rt.reload = &reloader{log: s.log, done: rt.metrics.Reloaded}
	s.registerReloads(rt)
	return rt, nil
}

// registerReloads adds what SIGHUP re-reads: the users (the users file,
// the credentials file and the environment's user, see loadUsers), the
// per-bucket keyring, the configured recipients and identities, the TLS
// certificate. The
// development setup's generated identity is not reloaded: nothing outside
// serve writes it.
func (s *server) registerReloads(rt *stack) {
	cfg := s.cfg
	rt.reload.add("users", func() (func(), error) {
		u, err := s.loadUsers()
		if err != nil {
			return nil, err
		}
		t := u.cur.Load()
		return func() {
			s.users.cur.Store(t)
			s.log.Info("users reloaded", "access_keys", strings.Join(t.accessKeys(), ","))
		}, nil
	})
	if cfg.keyring != "" {
		rt.reload.add("keyring", func() (func(), error) {
			entries, err := loadKeyring(cfg.keyring)
			if err != nil {
				return nil, err
			}
			return func() {
				s.keyring.cur.Store(&entries)
				s.log.Info("keyring reloaded", "entries", s.keyring.describe())
			}, nil
		})
	}
	if s.devIdentity == "" {
		rt.reload.add("keys", func() (func(), error) {
			rs, err := loadRecipients(cfg.recipients)
			if err != nil {
				return nil, err
			}
			ids, err := loadIdentities(cfg.identities)
			if err != nil {
				return nil, err
			}
			if len(rs) == 0 && len(ids) == 0 {
				return nil, errors.New("no recipients and no identities: objects could not be sealed")
			}
			return func() {
				rt.svc.SetKeys(rs, ids)
				s.recipients, s.identities = rs, ids
				if len(rs) == 0 {
					for _, id := range ids {
						s.recipients = append(s.recipients, id.Recipient())
					}
				}
				s.log.Info("keys reloaded", "recipients", recipientIDs(s.recipients), "identities", identityIDs(ids))
			}, nil
		})
	}
	if cfg.tlsCert != "" {
		rt.reload.add("tls", func() (func(), error) { return rt.cert.load(cfg.tlsCert, cfg.tlsKey) })
	}
}

// startAdmin serves the ops endpoints on addr, if one is configured.
func (rt *stack) startAdmin(addr string, logger *slog.Logger) (*http.Server, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--admin-listen: %w", err)
	}
	hs := &http.Server{
		Handler:           rt.ops,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go hs.Serve(ln)
	logger.Info("admin endpoints serving", "admin", "http://"+ln.Addr().String(), "paths", "/metrics /health/live /health/ready")
	return hs, nil
}

// startBackground starts the janitor, the sweep, the volume probe, the
// upload count, the newest-object scan and SIGHUP handling, all until ctx
// is done; the returned function waits for them to return.
func (rt *stack) startBackground(ctx context.Context, s *server) (wait func()) {
	var wg sync.WaitGroup
	defer func() { wait = wg.Wait }()
	log := s.log
	maxAge := s.cfg.uploadMaxAge
	if maxAge == 0 {
		maxAge = -1
	}
	wg.Go(func() { rt.svc.RunJanitor(ctx, janitorInterval(maxAge)) })
	if rt.posix != nil {
		wg.Go(func() {
			runSweeper(ctx, rt.posix, log, func(st posix.SweepStats, err error) {
				rt.metrics.SweepDone(st.Temp, st.Orphan, st.Bytes, err)
			})
		})
	}
	if up, ok := rt.backend.(*s3.Backend); ok {
		wg.Go(func() {
			runUpstreamSweeper(ctx, up, log, func(st s3.SweepStats, err error) {
				rt.metrics.SweepDone(st.Uploads, st.Orphans, st.Bytes, err)
			})
		})
	}
	probe := rt.storeProbe(s)
	wg.Go(func() {
		rt.health.runProbe(ctx, probe, s.cfg.probeEvery, func(ok bool, err error) {
			if ok {
				log.Info(rt.health.store+" writable again: ready", "store", rt.health.store)
			} else {
				log.Error(rt.health.store+" not writable: not ready", "store", rt.health.store, "err", err)
			}
		})
	})
	wg.Go(func() {
		if err := rt.metrics.ScanNewest(ctx, rt.svc); err != nil && ctx.Err() == nil {
			log.Warn("metrics: listing the buckets for their newest objects failed", "err", err)
		}
	})
	wg.Go(func() {
		every(ctx, uploadCountEvery, func() {
			if err := rt.metrics.CountUploads(ctx, rt.backend); err != nil && ctx.Err() == nil {
				log.Warn("metrics: counting open multipart uploads failed", "err", err)
			}
		})
	})
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	wg.Go(func() {
		defer signal.Stop(hup)
		rt.reload.run(ctx, hup)
	})
	return
}

// every runs f at once and then every d until ctx is done.
func every(ctx context.Context, d time.Duration, f func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		f()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// readToken reads the metrics bearer token: a private file holding one
// line of at least 16 characters.
func readToken(path string) ([]byte, error) {
	b, err := readPrivateFile(path)
	if err != nil {
		return nil, fmt.Errorf("--metrics-token: %w", err)
	}
	b = bytes.TrimSpace(b)
	if len(b) < 16 || bytes.ContainsAny(b, " \t\r\n") {
		return nil, fmt.Errorf("--metrics-token: %s must hold one token of at least 16 characters without spaces", path)
	}
	return b, nil
}

// storeProbe is what readiness checks: with --upstream a small write to
// the upstream bucket (reachable, credentials accepted, writable), else a
// file written and synced on the data volume.
func (rt *stack) storeProbe(s *server) func(context.Context) error {
	if up, ok := rt.backend.(*s3.Backend); ok {
		return func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			return up.Probe(ctx)
		}
	}
	probeDir := filepath.Join(s.cfg.data, ".envelopegw")
	if err := os.MkdirAll(probeDir, 0o700); err != nil {
		s.log.Error("data volume: cannot create the probe directory", "err", err)
	}
	return func(context.Context) error { return probeWritable(probeDir) }
}
