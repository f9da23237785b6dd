package xbstream

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
)

// FileSpec is one file of a generated backup.
type FileSpec struct {
	Path string
	Size int64
}

// GenOptions shapes a generated stream.
type GenOptions struct {
	Seed      uint64
	Files     []FileSpec // nil: DefaultFiles(TotalSize)
	TotalSize int64      // used when Files is nil
	ChunkSize int        // payload bytes per chunk; 0: DefaultChunkSize
	// Interleave is how many files are copied at once: their chunks
	// alternate in the stream as they do with `--parallel`. 0 or 1: one
	// file after the other.
	Interleave int
}

// DefaultFiles lays out a backup the way XtraBackup 8.0 streams one: the
// system tablespace, undo and table tablespaces (including names that need
// escaping in a URL and an empty file), the redo log copy, then the small
// metadata files, with xtrabackup_tablespaces last. total is spread over
// the large files.
func DefaultFiles(total int64) []FileSpec {
	if total < 0 {
		total = 0
	}
	share := func(pct int64) int64 { return total * pct / 100 }
	big := []FileSpec{
		{"ibdata1", share(20)},
		{"mysql.ibd", share(5)},
		{"undo_001", share(5)},
		{"undo_002", share(5)},
		{"shop/customers.ibd", share(15)},
		{"shop/orders.ibd", share(30)},
		{"shop/order@0020items.ibd", share(10)},
		{"shop/empty#p#p0.ibd", 0},
		{"sys/sys_config.ibd", 0},
	}
	var used int64
	for _, f := range big {
		used += f.Size
	}
	// Rounding leftovers go to the redo log copy.
	big = append(big, FileSpec{"xtrabackup_logfile", total - used})
	return append(big,
		FileSpec{"backup-my.cnf", 412},
		FileSpec{"xtrabackup_binlog_info", 0},
		FileSpec{"xtrabackup_checkpoints", 146},
		FileSpec{"xtrabackup_info", 733},
		FileSpec{"xtrabackup_tablespaces", 1520},
	)
}

// FileReader returns the deterministic content of a generated file: a
// ChaCha8 keystream seeded from seed and path, so that tests can regenerate
// any file to compare without keeping it.
func FileReader(seed uint64, path string, size int64) io.Reader {
	var s [32]byte
	h := sha256.Sum256([]byte(path))
	copy(s[:], h[:])
	binary.LittleEndian.PutUint64(s[:8], binary.LittleEndian.Uint64(h[:8])^seed)
	return io.LimitReader(rand.NewChaCha8(s), size)
}

// Manifest maps each generated file's path to the SHA-256 of its content.
type Manifest map[string][32]byte

// Generate writes a stream of the files described by opts to w and
// returns their digests.
func Generate(w io.Writer, opts GenOptions) (Manifest, error) {
	files := opts.Files
	if files == nil {
		files = DefaultFiles(opts.TotalSize)
	}
	cs := opts.ChunkSize
	if cs <= 0 {
		cs = DefaultChunkSize
	}
	k := max(opts.Interleave, 1)
	xw := NewWriter(w)
	man := Manifest{}
	type state struct {
		spec FileSpec
		src  io.Reader
		off  int64
		h    interface {
			io.Writer
			Sum([]byte) []byte
		}
	}
	buf := make([]byte, cs)
	next := 0
	var active []*state
	for next < len(files) || len(active) > 0 {
		for len(active) < k && next < len(files) {
			f := files[next]
			next++
			if _, dup := man[f.Path]; dup {
				return nil, fmt.Errorf("xbstream: generate: duplicate path %q", f.Path)
			}
			man[f.Path] = [32]byte{}
			active = append(active, &state{spec: f, src: FileReader(opts.Seed, f.Path, f.Size), h: sha256.New()})
		}
		// One chunk from each active file, round robin.
		var still []*state
		for _, s := range active {
			n := int(min(int64(cs), s.spec.Size-s.off))
			if n > 0 {
				if _, err := io.ReadFull(s.src, buf[:n]); err != nil {
					return nil, err
				}
				s.h.Write(buf[:n])
				if err := xw.WriteChunk(&Chunk{Type: TypePayload, Path: s.spec.Path, Offset: uint64(s.off), Payload: buf[:n]}); err != nil {
					return nil, err
				}
				s.off += int64(n)
			}
			if s.off == s.spec.Size {
				if err := xw.WriteChunk(&Chunk{Type: TypeEOF, Path: s.spec.Path}); err != nil {
					return nil, err
				}
				var d [32]byte
				copy(d[:], s.h.Sum(nil))
				man[s.spec.Path] = d
				continue
			}
			still = append(still, s)
		}
		active = still
	}
	return man, nil
}
