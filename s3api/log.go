package s3api

import (
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

// finish reports a finished request to the Observer and writes its access
// log line.
func (h *handler) finish(rq *request, w *responseWriter, start time.Time, panicked any) {
	status := w.status
	if !w.wroteHeader {
		status = http.StatusOK
	}
	d := time.Since(start)
	h.observe.End(RequestInfo{
		Operation:   rq.op,
		Routed:      rq.routed,
		Bucket:      rq.bucket,
		Status:      status,
		ErrorCode:   rq.errCode,
		BytesIn:     rq.bytesIn(),
		BytesOut:    w.bytes,
		Duration:    d,
		AuthFailure: rq.authFail,
		Denied:      rq.denied,
		Limit:       rq.limit,
		Aborted:     panicked != nil,
	})
	h.logRequest(rq, w, status, d, panicked)
}

// logRequest writes the access log line: who (access key), what
// (operation, bucket, key), the outcome (status, S3 error code) and the
// cost (bytes, duration). The request ID comes from the context. It never
// logs the query string (presigned URLs carry credentials and signatures
// there) nor any header value.
func (h *handler) logRequest(rq *request, w *responseWriter, status int, d time.Duration, panicked any) {
	level := slog.LevelInfo
	attrs := []slog.Attr{
		slog.String("method", rq.r.Method),
		slog.String("op", rq.op.String()),
		slog.String("bucket", rq.bucket),
		slog.String("key", rq.key),
		slog.Int("status", status),
		slog.Int64("bytes_out", w.bytes),
		slog.Int64("bytes_in", rq.bytesIn()),
		slog.Duration("duration", d),
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
	if rq.authorized && rq.op.Writes() {
		rq.auditWrite(rq.bucket, rq.key, status, rq.errCode)
	}
	if h.noAccess && level < slog.LevelWarn {
		return
	}
	h.log.LogAttrs(rq.r.Context(), level, "s3 request", attrs...)
}
