package main

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// opsHandler serves the operator endpoints: /metrics and /health/*. On
// the admin listener (--admin-listen) it is all there is, without
// authentication: bind that address to a management network. Beside the
// S3 API (withOps) the same endpoints need care, because every path there
// is also a bucket and key.
func opsHandler(h *health, metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health/live", h.live)
	mux.HandleFunc("GET /health/ready", h.ready)
	mux.Handle("GET /metrics", metrics)
	return mux
}

// withOps puts the health checks, and /metrics when a token is set, in
// front of the S3 handler:
//
//   - GET or HEAD /health/live and /health/ready answer without
//     authentication, but only when the request is not S3-signed: a
//     signed request for bucket "health", key "live" still reaches S3.
//     (Unsigned, it would have been refused as anonymous anyway.)
//   - GET /metrics with "Authorization: Bearer TOKEN" answers the metrics;
//     a wrong token gets 401. A bearer token is never an S3 signature, so
//     no S3 request is shadowed.
func withOps(s3 http.Handler, h *health, metrics http.Handler, token []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		get := r.Method == http.MethodGet || r.Method == http.MethodHead
		authz := r.Header.Get("Authorization")
		if get && !s3Signed(r) {
			switch r.URL.Path {
			case "/health/live":
				h.live(w, r)
				return
			case "/health/ready":
				h.ready(w, r)
				return
			}
		}
		if len(token) > 0 && r.URL.Path == "/metrics" && get {
			if bearer, ok := strings.CutPrefix(authz, "Bearer "); ok {
				if subtle.ConstantTimeCompare([]byte(bearer), token) != 1 {
					w.Header().Set("WWW-Authenticate", `Bearer realm="envelopegw metrics"`)
					http.Error(w, "invalid bearer token", http.StatusUnauthorized)
					return
				}
				metrics.ServeHTTP(w, r)
				return
			}
		}
		s3.ServeHTTP(w, r)
	})
}

// s3Signed reports whether r carries an S3 signature (header or presigned
// query, SigV4 or SigV2).
func s3Signed(r *http.Request) bool {
	if r.Header.Get("Authorization") != "" {
		return true
	}
	q := r.URL.Query()
	return q.Has("X-Amz-Signature") || q.Has("Signature")
}
