package main

import (
	"context"
	"log/slog"
	"time"

	"envelopegw/backend/posix"
)

// Crash leftovers (temp files, retired upload directories, data files no
// record names) are swept once an hour, and only when a day old: a writer
// in flight is never that slow, and several gateways sharing the volume may
// all sweep without stepping on each other's work.
const (
	sweepEvery = time.Hour
	sweepAge   = 24 * time.Hour
)

// runSweeper removes crash leftovers from the volume until ctx is done.
func runSweeper(ctx context.Context, be *posix.Backend, log *slog.Logger) {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		st, err := be.Sweep(ctx, sweepAge)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Warn("sweep of crash leftovers failed", "err", err)
		case st.Temp+st.Orphan > 0:
			log.Info("swept crash leftovers", "temp", st.Temp, "orphans", st.Orphan, "bytes", st.Bytes)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
