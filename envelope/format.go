package envelope

// Constants of format version 1. FORMAT.md is the normative description;
// these names follow its sections.

const (
	headerMagic  = "EGWENV"
	tableMagic   = "EGWTBL"
	footerMagic  = "EGWEND"
	formatV1     = 1
	suiteAES256G = 1 // AES-256-GCM, 16-byte tags, 12-byte STREAM nonces

	// DefaultSegmentSize is the plaintext size of every segment but a part's last.
	DefaultSegmentSize = 64 << 10
	// MinSegmentSize and MaxSegmentSize bound the header's segment size field.
	MinSegmentSize = 256
	MaxSegmentSize = 4 << 20

	// MaxParts is the largest part number and the largest part count.
	MaxParts = 10000
	// MaxStanzas bounds the recipients of one envelope.
	MaxStanzas = 64
	// MaxStanzaBody bounds one wrapped key (an RSA-16384 OAEP block is 2048).
	MaxStanzaBody = 4096
	maxTypeLen    = 32
	// MaxPartSize bounds a part's plaintext size (2^48 bytes), so sums of
	// 10000 parts and their ciphertext sizes never overflow an int64.
	MaxPartSize = 1 << 48

	keySize    = 32 // data key, part keys, MAC keys
	saltSize   = 16 // header salt and part salts
	tagSize    = 16 // AES-GCM tag
	nonceSize  = 12
	keyIDSize  = 8
	macSize    = 32 // HMAC-SHA256
	commitSize = 32

	headerFixedSize = 6 + 1 + 1 + 4 + saltSize + 1 // through the stanza count
	tableFixedSize  = 6 + 1 + 1 + 4                // through the entry count
	tableEntrySize  = 4 + saltSize + 8
	// A version 2 table entry adds the part header's length and SHA-256.
	tableEntryV2Extra = 4 + 32
	tableV2           = 2
	// maxHeaderSize bounds a header: 64 stanzas of at most 4096-byte bodies.
	maxHeaderSize = headerFixedSize + MaxStanzas*(1+maxTypeLen+keyIDSize+2+MaxStanzaBody) + commitSize + macSize
	footerSize    = 4 + 6 + 1 + 1

	// ioBatch is the size ciphertext is written and read in: large enough
	// that syscalls and per-call overheads vanish next to the cipher.
	ioBatch = 1 << 20
	// readBatch is the size of a range reader's ReadAt (see readBatchSegments).
	readBatch = 256 << 10
)

// HKDF info labels. Each derived key has its own label so that no two
// uses of the data key can ever produce related values.
const (
	labelCommit    = "envelopegw v1 key commitment"
	labelHeaderMAC = "envelopegw v1 header mac"
	labelTableMAC  = "envelopegw v1 table mac"
	labelPart      = "envelopegw v1 part key" // followed by the u32 part number
	labelWrap      = "envelopegw v1 wrap "    // followed by the stanza type, 0x00, key ID
)

// tableSize is the encoded size of a table of n entries.
func tableSize(n int) int { return tableFixedSize + n*tableEntrySize + macSize }

// tableSizeV is the encoded size of a table of version v with n entries.
func tableSizeV(v, n int) int {
	if v == tableV2 {
		return tableSize(n) + n*tableEntryV2Extra
	}
	return tableSize(n)
}

// CiphertextSize is the stored size of a part body of plaintext size n:
// the part salt, n bytes, and a tag for each segment (at least one: an
// empty part is one empty last segment).
func CiphertextSize(n int64, segmentSize int) int64 {
	if n < 0 || segmentSize <= 0 {
		return -1
	}
	segs := (n + int64(segmentSize) - 1) / int64(segmentSize)
	if segs == 0 {
		segs = 1
	}
	return saltSize + n + segs*tagSize
}

// segmentCount is the number of segments of a part of plaintext size n.
func segmentCount(n int64, segmentSize int) int64 {
	segs := (n + int64(segmentSize) - 1) / int64(segmentSize)
	if segs == 0 {
		return 1
	}
	return segs
}
