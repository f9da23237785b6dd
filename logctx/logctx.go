// Package logctx ties log lines to the request they belong to.
//
// s3api assigns every request an ID (the x-amz-request-id the client sees)
// and puts it in the request's context with WithRequestID. Every layer below
// (gateway, the backend wrappers) logs through a *slog.Logger with the
// Context variants (InfoContext, LogAttrs with ctx, ...), and the Handler
// returned by NewHandler adds "request_id" to each record whose context
// carries one. So the one ID a client quotes in a support ticket finds every
// line of its request, whatever package wrote it, and no package needs a
// logger threaded through its calls or a field of its own for the ID.
//
// The package imports nothing of the project: envelope and backend code may
// use it without breaking the rule that they know no HTTP.
package logctx

import (
	"context"
	"log/slog"
)

// Key is the attribute name of the request ID in every log line.
const Key = "request_id"

type ctxKey struct{}

// WithRequestID returns a copy of ctx that carries the request ID id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// RequestID returns the request ID ctx carries, or "".
func RequestID(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// NewHandler wraps h so that every record logged with a context that
// carries a request ID gets a "request_id" attribute.
func NewHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(*handler); ok {
		return h
	}
	return &handler{next: h}
}

type handler struct{ next slog.Handler }

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r = r.Clone()
		r.AddAttrs(slog.String(Key, id))
	}
	return h.next.Handle(ctx, r)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	return &handler{next: h.next.WithAttrs(as)}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{next: h.next.WithGroup(name)}
}
