package main

import (
	"context"
	"log/slog"
	"time"

	"envelopegw/backend/posix"
)

// Crash leftovers (temp files, retired upload directories, data files no
// record names) are swept when serve starts and once an hour after. What
// provably belongs to no live process (its writer's lease is free, see
// backend/posix/lease.go) goes at once; leftovers that carry no writer ID
// only when a day old: a writer in flight is never that slow, and several
// gateways sharing the volume may all sweep without stepping on each
// other's work.
const (
	sweepEvery = time.Hour
	sweepAge   = 24 * time.Hour
)

// runSweeper removes crash leftovers from the volume until ctx is done.
// done, when set, is told the outcome of every pass (metrics).
func runSweeper(ctx context.Context, be *posix.Backend, log *slog.Logger, done func(posix.SweepStats, error)) {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		st, err := be.Sweep(ctx, sweepAge)
		if done != nil && ctx.Err() == nil {
			done(st, err)
		}
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Warn("sweep of crash leftovers failed", "err", err)
		case st.Temp+st.Orphan > 0:
			log.Info("swept crash leftovers", "temp", st.Temp, "orphans", st.Orphan, "bytes", st.Bytes,
				"dead_writers", st.DeadWriters)
		}
		if st.Damaged > 0 {
			log.Warn("damaged records on the volume: run envelopegw fsck", "damaged", st.Damaged)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
