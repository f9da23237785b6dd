package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// health answers the liveness and readiness probes.
//
// The volume is probed in the background (--health-probe-interval, 10s by
// default): a probe costs a create, a write, an fsync and an unlink, so
// /health/ready itself costs nothing however often it is polled.
//
// Live means the process answers HTTP. Ready means it can take a backup
// now: the last probe of the store succeeded (the data volume, or with
// --upstream the upstream bucket), recipients are loaded (objects can be
// sealed), and the gateway is not draining for shutdown.
type health struct {
	draining   atomic.Bool
	store      string                // what is probed: "data volume" or "upstream"
	volumeErr  atomic.Pointer[error] // nil: the last probe succeeded
	recipients func() int
}

func newHealth(recipients func() int, store string) *health {
	h := &health{recipients: recipients, store: store}
	pending := errors.New("not probed yet")
	h.volumeErr.Store(&pending)
	return h
}

func (h *health) live(w http.ResponseWriter, r *http.Request) {
	healthAnswer(w, r, http.StatusOK, "live")
}

func (h *health) ready(w http.ResponseWriter, r *http.Request) {
	if why := h.notReady(); why != "" {
		healthAnswer(w, r, http.StatusServiceUnavailable, "not ready: "+why)
		return
	}
	healthAnswer(w, r, http.StatusOK, "ready")
}

// notReady says why the gateway is not ready, or "".
func (h *health) notReady() string {
	switch {
	case h.draining.Load():
		return "draining for shutdown"
	case h.recipients() == 0:
		return "no recipients loaded"
	}
	if p := h.volumeErr.Load(); p != nil {
		return h.store + ": " + (*p).Error()
	}
	return ""
}

func healthAnswer(w http.ResponseWriter, r *http.Request, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		fmt.Fprintln(w, msg)
	}
}

// runProbe probes the store at once and then every interval until ctx is
// done, logging changes of state.
func (h *health) runProbe(ctx context.Context, probe func(context.Context) error, every time.Duration, logf func(ok bool, err error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	wasOK := true
	for {
		err := probe(ctx)
		if err != nil {
			h.volumeErr.Store(&err)
		} else {
			h.volumeErr.Store(nil)
		}
		if ok := err == nil; ok != wasOK {
			logf(ok, err)
			wasOK = ok
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// probeWritable creates, writes, syncs and removes a small file in dir:
// what a read-only remount, a full disk or a dead SAN path refuses.
// It never creates dir: on an unmounted volume that would write to the
// root filesystem and report ready.
func probeWritable(dir string) error {
	name := filepath.Join(dir, "probe-"+rand.Text()[:12])
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, werr := f.Write([]byte("probe\n"))
	serr := f.Sync()
	cerr := f.Close()
	rerr := os.Remove(name)
	return errors.Join(werr, serr, cerr, rerr)
}
