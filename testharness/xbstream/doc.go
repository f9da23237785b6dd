// Package xbstream reads, writes, generates and extracts xbstream
// archives, the chunked format that `xtrabackup --stream=xbstream` and
// `mariadb-backup --stream=xbstream` write and `xbstream -x` / `mbstream -x`
// read.
//
// # Format
//
// A stream is a sequence of chunks, all integers little-endian:
//
//	"XBSTCK01"  magic, 8 bytes
//	flags       u8   (bit 0: the reader may ignore an unknown chunk type)
//	type        u8   'P' payload, 'S' sparse payload, 'E' end of file
//	path_len    u32
//	path        path_len bytes, relative, '/'-separated
//	                               -- an 'E' chunk ends here --
//	map_len     u32  ('S' only) number of sparse map entries
//	payload_len u64
//	offset      u64  where the payload goes in the file
//	crc32       u32  IEEE CRC-32 of the sparse map bytes then the payload
//	sparse map  map_len × (skip u32, len u32) ('S' only)
//	payload     payload_len bytes
//
// A file is the chunks that name its path, in stream order, closed by its
// 'E' chunk. Chunks of different files may interleave (the backup tools copy
// several files in parallel). For a sparse chunk the payload is the
// concatenation of the data runs: each map entry skips a hole of skip bytes
// and then writes the next len payload bytes.
//
// # Why a package of its own
//
// xbcloud stores one S3 object per chunk, so the tests need to generate
// realistic streams (several files, multi-chunk files, interleaving, tiny
// EOF chunks), cut them into exactly the chunks xbcloud would upload, and
// compare what comes back. The Reader returns each chunk's raw bytes next to
// its parsed fields, so a client can upload the bytes it read unchanged.
// The Reader verifies every CRC and bounds every length, since the input
// is a stream from another program (or from a gateway under test).
//
// Extract writes a stream to a directory like `mbstream -x -C DIR`. It
// refuses absolute paths and ".." elements, so a hostile stream cannot
// write outside DIR.
package xbstream
