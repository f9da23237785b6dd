package xbstream

import (
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// HashDir returns the digests of every regular file under dir, keyed by
// slash-separated path relative to dir.
func HashDir(dir string) (Manifest, error) {
	m := Manifest{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		var d32 [32]byte
		copy(d32[:], h.Sum(nil))
		m[filepath.ToSlash(rel)] = d32
		return nil
	})
	return m, err
}

// Diff describes how got differs from m ("" when equal).
func (m Manifest) Diff(got Manifest) string {
	var out []string
	for p, d := range m {
		g, ok := got[p]
		switch {
		case !ok:
			out = append(out, "missing "+p)
		case g != d:
			out = append(out, "content differs "+p)
		}
	}
	for p := range got {
		if _, ok := m[p]; !ok {
			out = append(out, "unexpected "+p)
		}
	}
	sort.Strings(out)
	if len(out) > 10 {
		out = append(out[:10], fmt.Sprintf("... %d more", len(out)-10))
	}
	return strings.Join(out, "; ")
}
