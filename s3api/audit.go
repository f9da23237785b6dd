package s3api

import (
	"log/slog"
	"net/http"
)

// The audit log is a set of records, message "audit", on the handler's
// logger: one for every authorization that denies, and one for every
// request that writes or deletes (whatever its outcome), plus one per key
// of a DeleteObjects. Each names the user, the action, the resource (as
// an ARN, the form policies use), the source address and the request ID,
// so that "who tried to delete the backups" is one grep. The request ID
// comes from the request's context, as "request_id" (logctx), the key
// every other line of the request carries: one filter on the ID a client
// quotes finds its audit records with the rest.

// resourceARN names a resource as policies do.
func resourceARN(bucket, key string) string {
	switch {
	case bucket == "":
		return "*"
	case key == "":
		return "arn:aws:s3:::" + bucket
	}
	return "arn:aws:s3:::" + bucket + "/" + key
}

func (rq *request) auditAttrs(action, bucket, key string) []slog.Attr {
	user := rq.user
	if user == "" {
		user = rq.accessKey
	}
	return []slog.Attr{
		slog.String("user", user),
		slog.String("access_key", rq.accessKey),
		slog.String("op", rq.op.String()),
		slog.String("action", action),
		slog.String("resource", resourceARN(bucket, key)),
		slog.String("remote", rq.r.RemoteAddr),
	}
}

// auditDenied records a denied authorization.
func (rq *request) auditDenied(action, bucket, key string, d AuthzDecision) {
	attrs := append(rq.auditAttrs(action, bucket, key),
		slog.String("decision", "deny"), slog.String("reason", d.Reason))
	rq.h.log.LogAttrs(rq.r.Context(), slog.LevelWarn, "audit", attrs...)
}

// auditWrite records the outcome of a write or delete: its status and S3
// error code, if any.
func (rq *request) auditWrite(bucket, key string, status int, errCode string) {
	attrs := append(rq.auditAttrs(rq.op.Action(), bucket, key),
		slog.String("decision", "allow"), slog.Int("status", status))
	if rq.createOnly {
		attrs = append(attrs, slog.Bool("create_only", true))
	}
	if rq.identical {
		attrs = append(attrs, slog.Bool("identical", true))
	}
	if errCode != "" {
		attrs = append(attrs, slog.String("error", errCode))
	}
	rq.h.log.LogAttrs(rq.r.Context(), slog.LevelInfo, "audit", attrs...)
}

// auditDeleteKey records one key of a DeleteObjects.
func (rq *request) auditDeleteKey(key string, err error) {
	status, code := http.StatusNoContent, ""
	if err != nil {
		e := AsError(err)
		status, code = e.Status, e.Code
	}
	rq.auditWrite(rq.bucket, key, status, code)
}
