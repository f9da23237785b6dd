package checksum

// crcModel describes a reflected CRC with all-ones initial value and final
// xor, the shape shared by CRC-32/IEEE, CRC-32C and CRC-64/NVME. In the
// reflected representation the most significant bit of the register is the
// coefficient of x^0, so "multiply by x" is a right shift followed by a
// conditional xor with the reversed polynomial.
type crcModel struct {
	width int    // 32 or 64
	bytes int    // width / 8
	poly  uint64 // reversed generator polynomial
	// pow2[k] = x^(2^k · 8) mod P: the multiplier that appends 2^k zero
	// bytes.
	pow2 [64]uint64
}

var (
	crc32Model     = newCRCModel(32, 0xEDB88320)
	crc32cModel    = newCRCModel(32, 0x82F63B78)
	crc64nvmeModel = newCRCModel(64, 0x9A6C9329AC4BC9B5)
)

func newCRCModel(width int, poly uint64) *crcModel {
	m := &crcModel{width: width, bytes: width / 8, poly: poly}
	// x^8 in reflected form: bit (width-1-8).
	p := uint64(1) << (width - 1 - 8)
	for k := range m.pow2 {
		m.pow2[k] = p
		p = m.mul(p, p)
	}
	return m
}

// mul returns a·b mod P, both operands and the result in reflected form.
func (m *crcModel) mul(a, b uint64) uint64 {
	var r uint64
	top := uint64(1) << (m.width - 1)
	// Walk a's coefficients from x^0 (top bit) upwards while b runs through
	// b, b·x, b·x², ... mod P.
	for i := 0; i < m.width; i++ {
		if a&(top>>i) != 0 {
			r ^= b
		}
		if b&1 != 0 {
			b = b>>1 ^ m.poly
		} else {
			b >>= 1
		}
	}
	return r
}

// shift returns crc · x^(8n) mod P: the register after feeding n zero bytes
// to a CRC without its pre- and post-inversion.
func (m *crcModel) shift(crc uint64, n int64) uint64 {
	for k := 0; n != 0; k++ {
		if n&1 != 0 {
			crc = m.mul(crc, m.pow2[k])
		}
		n >>= 1
	}
	return crc
}

// combine returns the CRC of A||B given crc(A), crc(B) and len(B).
func (m *crcModel) combine(crcA, crcB uint64, lenB int64) uint64 {
	return m.shift(crcA, lenB) ^ crcB
}

// put encodes v big-endian in m.bytes bytes.
func (m *crcModel) put(v uint64) []byte {
	b := make([]byte, m.bytes)
	for i := m.bytes - 1; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
	return b
}
