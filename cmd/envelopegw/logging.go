package main

import (
	"io"
	"log/slog"

	"envelopegw/logctx"
)

// newLogger makes serve's logger: text or JSON lines on w at the
// configured level, with the request ID of every line logged in a
// request's context (see package logctx).
func newLogger(cfg *serveConfig, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.logLevel)) // checked by parseServeFlags
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if cfg.logFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(logctx.NewHandler(h))
}
