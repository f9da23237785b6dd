package envelope

import "encoding/binary"

// nonce fills n with the STREAM nonce of segment index: the 11-byte
// big-endian index followed by 0x01 for a part's last segment, else 0x00.
func setNonce(n *[nonceSize]byte, index uint64, last bool) {
	n[0], n[1], n[2] = 0, 0, 0
	binary.BigEndian.PutUint64(n[3:11], index)
	if last {
		n[11] = 1
	} else {
		n[11] = 0
	}
}
