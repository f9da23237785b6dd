// Package envelope implements the envelopegw encryption format: every
// object is encrypted under its own random data key, in small
// authenticated segments, and the data key is sealed ("wrapped") for one
// or more recipients' public keys. The host that writes an envelope needs
// only public keys; reading needs a private key (an Identity).
//
// FORMAT.md in this directory is the byte-level specification, with test
// vectors that the tests check. This comment explains the design.
//
// # Pieces
//
// An envelope is a Header, one or more part bodies and a part Table.
// The gateway stores them apart: the marshalled header and sealed table
// as object metadata, part bodies as object data, so that S3 multipart
// parts can be encrypted independently as they stream, in parallel, out
// of order and re-sent, and Complete only writes a table. Files made by
// Encrypt put them in one stream: header, part bodies, table and a
// 12-byte footer that lets an io.ReaderAt find the table from the end.
//
//   - NewHeader draws a data key and wraps it for each Recipient.
//   - Header.Unwrap (or ImportKey, for a key kept between requests) gives
//     a Key: the data key with its derived subkeys.
//   - Key.NewPartWriter encrypts one part; Key.SealTable lists the parts.
//   - Key.OpenTable and Key.NewRangeReader read any byte range back;
//     Decrypt and DecryptReaderAt read whole files.
//   - Key.Rewrap replaces recipients without touching data.
//
// # Choices
//
// Segments. Each part is cut into segments (64 KiB of plaintext by
// default) sealed with AES-256-GCM under a per-part key, using the STREAM
// construction: the nonce is the segment index plus a last-segment flag.
// Reordered, dropped or duplicated segments and truncation fail; a range
// read decrypts only the segments it touches; and no plaintext is ever
// released before its segment's tag verifies. Sixteen bytes of tag per
// 64 KiB is 0.024% overhead.
//
// Keys. Everything is derived from the data key with HKDF-SHA256 under
// distinct labels. A part key also takes the part number and a random
// per-part salt, drawn anew each time a part is written: re-sending a part
// number yields a new key, so a (key, nonce) pair never repeats, and an
// older version of a part cannot be spliced back in, since the table names
// the salt.
//
// Key commitment. AES-GCM is not key-committing: one ciphertext can be
// valid under two keys. A sender could then wrap different data keys for
// different recipients so that each sees different plaintext. The header
// carries an HKDF commitment to the data key; Unwrap and ImportKey compare
// it in constant time before anything else, then check the header MAC.
//
// Table. The list of (part number, salt, size) is MACed under a key
// derived from the data key. Readers hold each part to its entry: salt,
// size and number (through the part key). Parts dropped, duplicated,
// reordered, truncated, extended or taken from another object or an
// older upload fail with ErrAuth. ParseTableUnauthenticated exists only
// for tools that show a table without a key; its result is not to be
// trusted.
//
// Recipients. Two small interfaces, Recipient and Identity, take every
// key type. Built in: mlkem768x25519 (the default: hybrid post-quantum
// ML-KEM-768 + X25519 through crypto/hpke, secure if either holds), x25519
// (crypto/hpke DHKEM), and rsa-oaep-sha256 for existing RSA and HSM keys
// (at least 2048 bits; PEM, PKCS#1, PKCS#8 and OpenSSH ssh-rsa forms).
// Each stanza names its recipient by a key ID (a truncated SHA-256 of the
// public key), so Unwrap tries only the stanzas an identity can open and
// says ErrNoIdentity, listing the envelope's key IDs, when none matches.
// The key ID and a format label are bound into every wrapping.
//
// Bounds. Parsers of untrusted bytes (ReadHeader, ParseHeader, the table
// and footer parsers, the segment readers) bound every count and length
// before allocating, and are fuzzed.
//
// # Performance
//
// Part writers hand ciphertext to their destination in writes of about
// 1 MiB (a part writer starts with one segment's buffer and takes the
// 1 MiB batch only when a second segment follows, so a burst of small
// parts does not hold a megabyte each) and the stream reader reads and
// writes in 1 MiB batches, all from pooled buffers; range readers fetch 256 KiB per ReadAt, which keeps the
// batch in cache between the copy and the cipher pass. Large Writes are
// sealed straight from the caller's slice, segments are opened in place,
// and readers implement io.WriterTo, so bytes are copied only where the
// io interfaces demand it. Steady-state streaming allocates nothing per
// segment. Encryption runs at the speed of raw crypto/cipher AES-GCM.
// Decryption through io.ReaderAt pays one copy of the ciphertext into
// the reader's buffer (pread(2) from a file does the same): about 0.75 of
// raw Open in CPU per byte, see BenchmarkRatio, whose baseline opens the
// same 64 MiB of segments straight from memory. A body that is a file
// (the decrypt command's, a GET's posix object) or lies in one file per
// part (a posix multipart object) is mapped instead and opened from the
// mapping into the reader's buffer: 0.85-1.0 of raw, depending on the
// window size (mapped.go) and on the page cache's folios, which the
// file's writes made (the kernel's per-page cost of mapping is what is
// left: the readers are at the floor of raw Open from the same windows). A reader whose window is not in the page
// cache asks the kernel to read that window and the next one, then each
// next one as it moves on, into the next part's file at a part's end,
// never past its range (mapahead.go): a GET from disk keeps the disk
// reading while the segments already read are verified.
// NewParallelRangeReader (DecryptLayout) opens each 1 MiB batch on every
// core, since segments are independent (parallel.go): a little more CPU
// per byte, less wall time when a core is free.
//
// # Errors
//
// ErrFormat: bytes that do not parse. ErrAuth: anything that fails
// authentication (header MAC, commitment, wrapped key, segment tag, table
// MAC, a part that does not match its entry, truncation). ErrNoIdentity:
// no given identity matches a stanza. Errors wrap these and say where
// (which part, which segment, which stanza).
package envelope
