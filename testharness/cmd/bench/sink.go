package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// sink is the physical baseline: an HTTP server that writes request bodies
// to files on the benchmark's volume with the gateway's durability policy
// (fsync the file, rename it into place, fsync the directory) and does
// nothing else: no authentication, hashing, encryption or metadata. It
// speaks just enough S3 for the benchmark's client: PUT object, the three
// multipart calls (Complete renames the parts directory into place without
// reading it), GET of a single-PUT object and DELETE.
type sink struct {
	dir   string
	fsync bool
}

func runSink(addr, dir string, fsync bool) error {
	s := &sink{dir: dir, fsync: fsync}
	for _, d := range []string{"objects", "uploads", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return err
		}
	}
	return http.ListenAndServe(addr, s)
}

// noReadFrom hides *os.File's ReadFrom, so that io.CopyBuffer really uses
// the 1 MiB buffer (the gateway also writes in large blocks).
type noReadFrom struct{ io.Writer }

func name(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:16])
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch {
	case key == "" && r.Method == http.MethodPut: // create bucket
	case r.Method == http.MethodPost && q.Has("uploads"):
		id := make([]byte, 12)
		rand.Read(id)
		uid := hex.EncodeToString(id)
		if err := os.Mkdir(filepath.Join(s.dir, "uploads", uid), 0o700); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprintf(w, "<InitiateMultipartUploadResult><Bucket>%s</Bucket><UploadId>%s</UploadId></InitiateMultipartUploadResult>", bucket, uid)
	case r.Method == http.MethodPut && q.Has("uploadId"):
		dir := filepath.Join(s.dir, "uploads", filepath.Base(q.Get("uploadId")))
		if err := s.store(r.Body, dir, "part-"+filepath.Base(q.Get("partNumber"))); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("ETag", `"sink"`)
	case r.Method == http.MethodPost && q.Has("uploadId"):
		io.Copy(io.Discard, r.Body)
		src := filepath.Join(s.dir, "uploads", filepath.Base(q.Get("uploadId")))
		dst := filepath.Join(s.dir, "objects", name(key))
		os.RemoveAll(dst)
		if err := os.Rename(src, dst); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		if err := s.syncDir(filepath.Join(s.dir, "objects")); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprintf(w, "<CompleteMultipartUploadResult><Key>%s</Key><ETag>\"sink-1\"</ETag></CompleteMultipartUploadResult>", key)
	case r.Method == http.MethodPut:
		if err := s.store(r.Body, filepath.Join(s.dir, "objects"), name(key)); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("ETag", `"sink"`)
	case r.Method == http.MethodGet && key != "":
		f, err := os.Open(filepath.Join(s.dir, "objects", name(key)))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		defer f.Close()
		io.Copy(w, f) // sendfile(2): what the kernel can do with no decryption
	case r.Method == http.MethodDelete:
		os.RemoveAll(filepath.Join(s.dir, "objects", name(key)))
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, "not supported by the sink", http.StatusNotImplemented)
	}
}

// store writes body to dir/base durably: temp file, fsync, rename, fsync
// of the directory.
func (s *sink) store(body io.Reader, dir, base string) error {
	f, err := os.CreateTemp(filepath.Join(s.dir, "tmp"), "put-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := io.CopyBuffer(noReadFrom{f}, body, make([]byte, 1<<20)); err != nil {
		f.Close()
		return err
	}
	if s.fsync {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), filepath.Join(dir, base)); err != nil {
		return err
	}
	return s.syncDir(dir)
}

func (s *sink) syncDir(dir string) error {
	if !s.fsync {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func init() { log.SetFlags(0) }
