package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
)

// reloader re-reads configuration files when serve gets SIGHUP.
//
// Each reloadable piece registers a load function that reads and checks
// its files and returns, without changing anything yet, a function that
// applies the result. A reload first loads every piece; only when all of
// them loaded does it apply them all. So a broken file anywhere keeps the
// whole running configuration (never new credentials with old keys), and
// the error says which file and why.
//
// Applying swaps an atomic pointer per piece: requests in flight keep the
// credentials and keys they started with, so a long upload signed with a
// key that the reload removed still completes; the next request with that
// key is refused.
//
// A new kind of configuration (a users file, a keyring) plugs in with
// add; nothing else changes.
type reloader struct {
	log   *slog.Logger
	done  func(error) // told the outcome of every reload (metrics); may be nil
	mu    sync.Mutex  // one reload at a time
	parts []reloadPart
}

type reloadPart struct {
	name string
	load func() (apply func(), err error)
}

// add registers a piece; name appears in the logs.
func (r *reloader) add(name string, load func() (apply func(), err error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.parts = append(r.parts, reloadPart{name, load})
}

// reload loads every piece and applies them all, or none.
func (r *reloader) reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	applies := make([]func(), 0, len(r.parts))
	names := make([]string, 0, len(r.parts))
	for _, p := range r.parts {
		apply, err := p.load()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.name, err))
			continue
		}
		applies = append(applies, apply)
		names = append(names, p.name)
	}
	err := errors.Join(errs...)
	if r.done != nil {
		r.done(err)
	}
	if err != nil {
		r.log.Error("reload failed: the running configuration stays in force", "err", err)
		return err
	}
	for _, a := range applies {
		a()
	}
	r.log.Info("configuration reloaded", "parts", strings.Join(names, ","))
	return nil
}

// run reloads on every value from sig until ctx is done.
func (r *reloader) run(ctx context.Context, sig <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-sig:
			r.log.Info("SIGHUP: reloading configuration")
			r.reload()
		}
	}
}

// liveCert serves the TLS certificate that the last (re)load read.
type liveCert struct {
	p atomic.Pointer[tls.Certificate]
}

func (l *liveCert) load(certFile, keyFile string) (func(), error) {
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate %s / key %s: %w", certFile, keyFile, err)
	}
	return func() { l.p.Store(&c) }, nil
}

func (l *liveCert) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return l.p.Load(), nil
}
