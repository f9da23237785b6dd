package main

import (
	"context"
	"log/slog"
	"time"

	"envelopegw/backend/s3"
)

// runUpstreamSweeper removes what crashed gateways leave upstream (stale
// upstream multipart uploads, data objects no record names) once at start
// and every sweepEvery, until ctx is done. Only leftovers older than
// sweepAge go: no stream in flight is that old, and several gateways on
// one upstream may all sweep (see s3.Backend.Sweep). done, when set, is
// told every pass's outcome (metrics: aborted uploads count as "temp").
func runUpstreamSweeper(ctx context.Context, be *s3.Backend, log *slog.Logger, done func(s3.SweepStats, error)) {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		st, err := be.Sweep(ctx, time.Now().Add(-sweepAge))
		if done != nil && ctx.Err() == nil {
			done(st, err)
		}
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Warn("sweep of upstream leftovers failed", "err", err)
		case st.Uploads+st.Orphans > 0:
			log.Info("swept upstream leftovers", "uploads", st.Uploads, "orphans", st.Orphans, "bytes", st.Bytes)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
