package envelope

import (
	"bytes"
	"testing"
)

// A part of at most one segment is written through a one-segment buffer
// (a burst of small PUTs used to hold a 1 MiB batch each); a larger part
// grows it to the batch on its second segment and still reaches dst in
// 1 MiB writes, with the same bytes as before.
func TestPartWriterBufferFitsSmallParts(t *testing.T) {
	key := testKeyForWipe(t)
	seg := key.segmentSize
	small := saltSize + seg + tagSize
	for _, size := range []int{0, 1, 1024, seg - 1, seg} {
		pw, err := key.NewPartWriter(&recordingWriter{}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pw.Write(make([]byte, size)); err != nil {
			t.Fatal(err)
		}
		if len(pw.buf) > small {
			t.Fatalf("part of %d bytes: buffer of %d bytes, want at most %d", size, len(pw.buf), small)
		}
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for _, size := range []int{seg + 1, 3 << 20} {
		var rec recordingWriter
		pw, _ := key.NewPartWriter(&rec, 1)
		for range size {
			pw.Write([]byte{0x5a}) // byte by byte: every path through Write
		}
		if len(pw.buf) != pw.batch {
			t.Fatalf("part of %d bytes: buffer of %d bytes, want the batch's %d", size, len(pw.buf), pw.batch)
		}
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
		for i, n := range rec.sizes[:len(rec.sizes)-1] {
			if n < ioBatch {
				t.Fatalf("part of %d bytes: write %d is %d bytes", size, i, n)
			}
		}
	}
}

// Growing keeps the stream byte for byte what a writer that started with
// the whole batch writes (same key, salt and data).
func TestPartWriterGrowSameBytes(t *testing.T) {
	key := testKeyForWipe(t)
	data := bytes.Repeat([]byte("0123456789abcdef"), 200<<10/16)
	var salt [saltSize]byte
	salt[0] = 7
	var a, b bytes.Buffer
	pa, _ := key.newPartWriter(&a, 1, salt)
	pb, _ := key.newPartWriter(&b, 1, salt)
	putBuf(pb.bufp) // b starts with the full batch: no growth
	pb.bufp = getBuf(pb.batch)
	pb.buf = *pb.bufp
	copy(pb.buf, salt[:])
	for _, pw := range []*PartWriter{pa, pb} {
		for off := 0; off < len(data); off += 10000 {
			pw.Write(data[off:min(off+10000, len(data))])
		}
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("a part writer that grew its buffer wrote other bytes")
	}
}
