package backend

import "errors"

// ErrUnavailable marks a failure of the store that is expected to pass:
// an upstream that is unreachable, overloaded or answering 5xx after the
// store's own bounded retries. The gateway answers it with 503, which S3
// clients retry; nothing was changed.
var ErrUnavailable = errors.New("backend: store temporarily unavailable")
