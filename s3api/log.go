package s3api

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// responseWriter records the status and body size for the request log.
type responseWriter struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
	// beforeHeader, when set, may adjust the headers just before the
	// status line goes out.
	beforeHeader func(http.Header)
}

func newResponseWriter(w http.ResponseWriter) *responseWriter {
	return &responseWriter{ResponseWriter: w}
}

func (w *responseWriter) WriteHeader(status int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	w.status = status
	if w.beforeHeader != nil {
		w.beforeHeader(w.ResponseWriter.Header())
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequest writes the request-log line. It never logs the query string
// (presigned URLs carry credentials and signatures there) nor any header
// value other than a few harmless ones.
func (h *handler) logRequest(rq *request, w *responseWriter, start time.Time, panicked any) {
	status := w.status
	if !w.wroteHeader {
		status = http.StatusOK
	}
	level := slog.LevelInfo
	attrs := []slog.Attr{
		slog.String("id", rq.id),
		slog.String("method", rq.r.Method),
		slog.String("path", rq.r.URL.Path),
		slog.String("op", rq.op.String()),
		slog.Int("status", status),
		slog.Int64("bytes_out", w.bytes),
		slog.Int64("bytes_in", rq.bytesIn()),
		slog.Duration("duration", time.Since(start)),
		slog.String("remote", rq.r.RemoteAddr),
	}
	if rq.accessKey != "" {
		attrs = append(attrs, slog.String("access_key", rq.accessKey))
	}
	if rq.user != "" && rq.user != rq.accessKey {
		attrs = append(attrs, slog.String("user", rq.user))
	}
	if rq.errCode != "" {
		attrs = append(attrs, slog.String("error", rq.errCode))
	}
	if rq.errDetail != "" {
		attrs = append(attrs, slog.String("detail", rq.errDetail))
		if !rq.clientGone {
			level = slog.LevelWarn
		}
	}
	if panicked != nil {
		attrs = append(attrs, slog.Bool("aborted", true))
		if !rq.clientGone {
			level = slog.LevelWarn
		}
		if panicked != http.ErrAbortHandler {
			level = slog.LevelError
			attrs = append(attrs, slog.Any("panic", panicked))
		}
	}
	h.log.LogAttrs(context.Background(), level, "s3 request", attrs...)
	if rq.authorized && rq.op.Writes() {
		rq.auditWrite(rq.bucket, rq.key, status, rq.errCode)
	}
}
