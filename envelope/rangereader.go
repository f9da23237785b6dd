package envelope

import (
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"
)

// partLoc places one table entry in the object's plaintext and in the
// concatenated part bodies.
type partLoc struct {
	PartInfo
	plainOff int64
	hdrOff   int64 // where the part's own header starts (table version 2)
	bodyOff  int64 // where the part salt starts
	segs     int64
}

func locate(t *Table, seg int) []partLoc {
	locs := make([]partLoc, len(t.Parts))
	var po, bo int64
	for i, p := range t.Parts {
		locs[i] = partLoc{PartInfo: p, plainOff: po, hdrOff: bo, bodyOff: bo + int64(p.HeaderLen), segs: segmentCount(p.Size, seg)}
		po += p.Size
		bo += p.StoredSize(seg)
	}
	return locs
}

// rangeReader serves plaintext [pos, end) from part bodies behind an
// io.ReaderAt: one ReadAt per batch of segments (256 KiB), then each
// segment is opened in place, in the buffer the ciphertext was read into,
// just before it is handed out, so the batch is the whole working set and
// a segment is hot in cache when it is used. A range longer than one
// batch reads ahead (readahead.go): the next batch is read while this one
// is verified, once a read shows that the body is slow (readahead.go).
type rangeReader struct {
	k     *Key
	body  io.ReaderAt
	parts []partLoc
	seg   int
	pos   int64 // next plaintext offset to hand out
	end   int64

	ctp    *[]byte  // buffer of the batch being opened
	batch  []byte   // ciphertext read but not yet opened, segment aligned
	out    []byte   // where batch's segments open to: batch itself, or *ctp when mapped
	fm     *fileMap // the body's file, mapped (mapped.go); nil: ReadAt
	stride int      // distance in out between segments' plaintext
	part   *partLoc
	j      int64  // index of the first segment in batch
	plain  []byte // verified plaintext not yet handed out
	used   int    // high-water mark of *ctp, cleared on Close
	cur    int    // index in parts of aead, -1 for none
	aead   cipher.AEAD
	nonce  [nonceSize]byte
	err    error

	workers int   // goroutines opening a batch (parallel.go); 1: one by one
	kb      int   // segments per batch
	fails   []int // per worker, scratch of openBatch
	opened  int   // segments at the front of batch already verified in place
	badSeg  bool  // the segment after those failed

	pk      *Key // the current part's own key (table version 2)
	pkIndex int  // its part number

	loaded bool       // a batch was read
	slow   int        // how many batch reads in a row took longer than slowRead
	next   int64      // plaintext offset where the next batch starts
	ahead  *readAhead // nil until a batch is needed after a slow read
}

// NewRangeReader returns plaintext [off, off+n) of an object whose part
// bodies are concatenated in body. It reads only the segments covering the
// range, in large reads, and releases a segment's plaintext only after its
// tag verifies; any failure is returned from Read (wrapping ErrAuth).
//
// When body has a Size() int64 method (io.SectionReader, bytes.Reader,
// ...), its size must equal what the table describes. The part salt is
// compared with the table whenever a read starts at a part's beginning; a
// body whose salt differs cannot open anyway, since the part key is
// derived from the table's salt.
func (k *Key) NewRangeReader(body io.ReaderAt, t *Table, off, n int64) (io.ReadCloser, error) {
	return k.newRangeReader(body, t, off, n, 1, readBatchSegments(k.segmentSize))
}

// newRangeReader reads kb segments per batch and opens them on workers
// goroutines (parallel.go).
func (k *Key) newRangeReader(body io.ReaderAt, t *Table, off, n int64, workers, kb int) (io.ReadCloser, error) {
	if err := checkParts(t.Parts); err != nil {
		return nil, err
	}
	size := t.Size()
	if off < 0 || n < 0 || off > size || n > size-off {
		return nil, fmt.Errorf("envelope: range [%d, %d+%d) outside object of %d bytes", off, off, n, size)
	}
	if s, ok := body.(interface{ Size() int64 }); ok {
		if want := t.BodySize(k.segmentSize); s.Size() != want {
			return nil, fmt.Errorf("%w: part bodies are %d bytes, the table says %d", ErrAuth, s.Size(), want)
		}
	}
	seg := k.segmentSize
	r := &rangeReader{
		k: k, body: body, parts: locate(t, seg), seg: seg, pos: off, end: off + n, cur: -1,
		workers: workers, kb: kb,
		ctp: getBuf(saltSize + kb*(seg+tagSize)),
	}
	if n >= mapMin {
		r.fm = mapBody(body, off)
	}
	if r.fm != nil && n > 0 {
		b := r.plan(r.end - 1)
		r.fm.stop = b.ctOff + int64(b.ctLen)
	}
	if r.fm != nil && workers > 1 {
		r.fm.win = mapWindowLarge
	}
	// Reading the whole object authenticates every part body, empty ones
	// included. Their check comes first, before any byte: a caller that
	// reads exactly n bytes (an HTTP response) never asks for io.EOF.
	if off == 0 && n == size {
		if err := r.checkEmptyParts(); err != nil {
			r.Close()
			return nil, err
		}
	}
	return r, nil
}

func (r *rangeReader) Read(p []byte) (int, error) {
	for len(r.plain) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		r.err = r.fill()
	}
	n := copy(p, r.plain)
	r.plain = r.plain[n:]
	return n, nil
}

// WriteTo hands out verified plaintext without a copy: segments that
// opened side by side (from a mapping) go out together, one Write per
// batch; each is opened, and verified, before any byte of it is written.
func (r *rangeReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if len(r.plain) > 0 {
			out := r.plain
			r.plain = nil
			for r.err == nil && len(r.batch) > 0 {
				if r.err = r.fill(); len(r.plain) == 0 || !adjacent(out, r.plain) {
					break
				}
				out, r.plain = out[:len(out)+len(r.plain)], nil
			}
			n, err := w.Write(out)
			total += int64(n)
			if err != nil {
				return total, err
			}
			continue
		}
		if r.err != nil {
			if r.err == io.EOF {
				return total, nil
			}
			return total, r.err
		}
		r.err = r.fill()
	}
}

// adjacent reports whether b starts right where a ends in memory.
func adjacent(a, b []byte) bool {
	return len(b) > 0 && cap(a) > len(a) && &a[:len(a)+1][len(a)] == &b[0]
}

func (r *rangeReader) Close() error {
	if r.ahead != nil {
		r.ahead.stop() // owns r.ctp as one of its buffers
		r.ahead, r.ctp = nil, nil
	}
	if r.ctp != nil {
		clear((*r.ctp)[:r.used])
		putBuf(r.ctp)
		r.ctp = nil
	}
	r.plain, r.batch, r.out = nil, nil, nil
	if r.fm != nil {
		r.fm.close()
	}
	if r.err == nil {
		r.err = errors.New("envelope: read from closed reader")
	}
	return nil
}

// fill opens the next segment of the batch into r.plain, reading the
// next batch first when the current one is used up.
func (r *rangeReader) fill() error {
	if r.ctp == nil {
		return errors.New("envelope: read from closed reader")
	}
	if r.pos >= r.end {
		return io.EOF
	}
	if len(r.batch) == 0 {
		if err := r.nextBatch(); err != nil {
			return err
		}
	}
	p := r.part
	seg := int64(r.seg)
	c := r.batch[:min(seg+tagSize, int64(len(r.batch)))]
	o := r.out[:len(c)]
	r.batch, r.out = r.batch[len(c):], r.out[min(r.stride, len(r.out)):]
	var pt []byte
	if r.opened > 0 { // verified by openBatch
		pt, r.opened = o[:len(o)-tagSize], r.opened-1
	} else {
		var err error
		if !r.badSeg {
			setNonce(&r.nonce, uint64(r.j), r.j == p.segs-1)
			pt, err = openMapped(r, o[:0], r.nonce[:], c)
		}
		if r.badSeg || err != nil {
			r.batch = nil
			if errors.Is(err, ErrAuth) { // a fault in a mapped body, said where
				return err
			}
			return fmt.Errorf("%w: segment %d of part %d", ErrAuth, r.j, p.Number)
		}
	}
	segStart := p.plainOff + r.j*seg
	r.j++
	skip := r.pos - segStart
	n := min(int64(len(pt))-skip, min(r.end, p.plainOff+p.Size)-r.pos)
	r.plain = pt[skip : skip+n]
	r.pos += n
	return nil
}

// batchPlan is where one batch lies: segments j0..j1 of parts[part],
// ctLen bytes at ctOff in the body (with the part salt when withSalt),
// covering plaintext up to end.
type batchPlan struct {
	part     int
	j0       int64
	ctOff    int64
	ctLen    int
	withSalt bool
	end      int64
}

// plan places the batch that starts at plaintext offset pos: the segments
// of the part holding pos that the range needs, up to one batch.
func (r *rangeReader) plan(pos int64) batchPlan {
	// The part holding pos: the first whose end lies beyond it.
	i := sort.Search(len(r.parts), func(i int) bool { return r.parts[i].plainOff+r.parts[i].Size > pos })
	p := &r.parts[i]
	seg := int64(r.seg)
	segCT := seg + tagSize
	stop := min(r.end, p.plainOff+p.Size) // plaintext end within this part
	j0 := (pos - p.plainOff) / seg
	j1 := min((stop-1-p.plainOff)/seg, j0+int64(r.kb)-1)
	lastLen := min(seg, p.Size-j1*seg) + tagSize
	b := batchPlan{
		part: i, j0: j0,
		ctOff: p.bodyOff + saltSize + j0*segCT,
		ctLen: int((j1-j0)*segCT + lastLen),
		end:   min(stop, p.plainOff+(j1+1)*seg),
	}
	if j0 == 0 {
		b.withSalt = true
		b.ctOff -= saltSize
		b.ctLen += saltSize
	}
	return b
}

// load reads the batch b into buf and checks the part salt; it returns
// the batch's segments.
func (r *rangeReader) load(buf []byte, b batchPlan) ([]byte, error) {
	p := &r.parts[b.part]
	ct := buf[:b.ctLen]
	if n, err := r.body.ReadAt(ct, b.ctOff); n < len(ct) {
		if err == nil || err == io.EOF {
			return nil, fmt.Errorf("%w: part %d body is truncated (at offset %d)", ErrAuth, p.Number, b.ctOff+int64(n))
		}
		return nil, fmt.Errorf("envelope: reading part %d at offset %d: %w", p.Number, b.ctOff, err)
	}
	if b.withSalt {
		if [saltSize]byte(ct[:saltSize]) != p.Salt {
			return nil, fmt.Errorf("%w: part %d salt differs from the part table (wrong or spliced part)", ErrAuth, p.Number)
		}
		ct = ct[saltSize:]
	}
	return ct, nil
}

// nextBatch makes the next batch current: read here while reads are
// fast, from the read-ahead once slowReads in a row were slow, so a
// range of one batch, or a range in the page cache, starts no goroutine.
func (r *rangeReader) nextBatch() error {
	var b batchPlan
	var ct []byte
	var err error
	if r.fm != nil {
		b = r.plan(r.pos)
		r.used = max(r.used, b.ctLen)
		ct, r.out, err = r.loadMapped(b)
	} else if r.ahead == nil && (!r.loaded || r.slow < slowReads) {
		b = r.plan(r.pos)
		r.used = max(r.used, b.ctLen)
		t0 := time.Now()
		ct, err = r.load(*r.ctp, b)
		if time.Since(t0) > slowRead {
			r.slow++
		} else {
			r.slow = 0
		}
		r.loaded, r.next = true, b.end
	} else {
		if r.ahead == nil {
			r.ahead = r.startReadAhead(r.ctp, r.next)
		}
		r.ctp, b, ct, err = r.ahead.take(r.ctp)
	}
	if err != nil {
		return err
	}
	if b.part != r.cur {
		p := &r.parts[b.part]
		k, err := r.partKey(p)
		if err != nil {
			return err
		}
		a, err := k.partAEAD(p.Number, p.Salt)
		if err != nil {
			return err
		}
		r.aead, r.cur, r.part = a, b.part, p
	}
	// Segments open where they lie (in place) or, from a mapping, side by
	// side, so that WriteTo hands out a batch's plaintext in one Write.
	r.stride = r.seg
	if r.fm == nil || len(ct) == 0 || &r.out[0] == &ct[0] {
		r.out, r.stride = ct, r.seg+tagSize
	}
	r.batch, r.j = ct, b.j0
	r.opened, r.badSeg = 0, false
	if r.workers > 1 {
		r.openBatch()
	}
	return nil
}

// checkEmptyParts verifies the salt and the single empty last segment of
// every empty part, so that reading a whole object authenticates every
// byte of its part bodies.
func (r *rangeReader) checkEmptyParts() error {
	for i := range r.parts {
		p := &r.parts[i]
		if p.Size != 0 {
			continue
		}
		b := (*r.ctp)[:saltSize+tagSize]
		if n, err := r.body.ReadAt(b, p.bodyOff); n < len(b) {
			if err == nil || err == io.EOF {
				return fmt.Errorf("%w: part %d body is truncated (at offset %d)", ErrAuth, p.Number, p.bodyOff+int64(n))
			}
			return fmt.Errorf("envelope: reading part %d at offset %d: %w", p.Number, p.bodyOff, err)
		}
		if [saltSize]byte(b[:saltSize]) != p.Salt {
			return fmt.Errorf("%w: part %d salt differs from the part table (wrong or spliced part)", ErrAuth, p.Number)
		}
		k, err := r.partKey(p)
		if err != nil {
			return err
		}
		a, err := k.partAEAD(p.Number, p.Salt)
		if err != nil {
			return err
		}
		setNonce(&r.nonce, 0, true)
		if _, err := a.Open(b[saltSize:saltSize], r.nonce[:], b[saltSize:], nil); err != nil {
			return fmt.Errorf("%w: empty segment of part %d", ErrAuth, p.Number)
		}
	}
	return nil
}
