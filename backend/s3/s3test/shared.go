package s3test

import (
	"os"
	"sync"
	"testing"
)

// The shared MinIO: one server for every test of a package binary that
// asks for it, so that a package's upstream tests pay MinIO's start-up
// (seconds of erasure-set formatting) once. Tests keep apart by using
// prefixes of their own in its bucket. StopShared, called from TestMain
// after the tests, stops it and removes its drives.
var shared struct {
	sync.Mutex
	srv *Server
	dir string
	err error
}

// SharedMinIO returns the package's shared MinIO server, starting it on
// first use. A test must not stop or restart it (fault tests start a
// server of their own).
func SharedMinIO(t testing.TB) *Server {
	t.Helper()
	bin := Tool(t, "minio")
	shared.Lock()
	defer shared.Unlock()
	if shared.srv == nil && shared.err == nil {
		shared.dir, shared.err = os.MkdirTemp("", "envelopegw-minio-")
		if shared.err == nil {
			s := newMinIO(bin, shared.dir, freePort(t), freePort(t))
			if shared.err = s.up(); shared.err != nil {
				s.Stop()
			} else {
				shared.srv = s
			}
		}
	}
	if shared.err != nil {
		t.Fatalf("shared MinIO: %v", shared.err)
	}
	return shared.srv
}

// StopShared stops the shared server, if one was started.
func StopShared() {
	shared.Lock()
	defer shared.Unlock()
	if shared.srv != nil {
		shared.srv.Stop()
		shared.srv = nil
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
}
