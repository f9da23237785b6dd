package s3api

import (
	"context"
	"sync"
)

// # Request scope
//
// One S3 request often asks the service the same question more than once:
// authorization reads the bucket's policy, then the operation reads the
// same bucket's configuration for its versioning state. The handler puts a
// RequestScope in every request's context so the service can remember
// such an answer for the rest of that request and no longer. It is dropped
// with the request, so the next request asks again and sees any change
// made meanwhile; what a service keeps in it, and when it forgets an entry
// because it changed it itself, is the service's business.

// RequestScope holds values a service remembers for one request. Safe for
// concurrent use (an operation may fan out). The zero value is ready.
type RequestScope struct {
	mu   sync.Mutex
	vals map[any]any
}

type scopeKey struct{}

// WithRequestScope returns a copy of ctx carrying a new, empty scope.
func WithRequestScope(ctx context.Context) context.Context {
	return context.WithValue(ctx, scopeKey{}, &RequestScope{})
}

// ScopeOf returns the request scope ctx carries, or nil outside a request
// (background work, offline commands): callers then remember nothing.
func ScopeOf(ctx context.Context) *RequestScope {
	if ctx == nil {
		return nil
	}
	s, _ := ctx.Value(scopeKey{}).(*RequestScope)
	return s
}

// Load returns the value stored under key.
func (s *RequestScope) Load(key any) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.vals[key]
	return v, ok
}

// Store remembers v under key for the rest of the request.
func (s *RequestScope) Store(key, v any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.vals == nil {
		s.vals = make(map[any]any, 2)
	}
	s.vals[key] = v
}

// Forget drops what is stored under key.
func (s *RequestScope) Forget(key any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.vals, key)
}
