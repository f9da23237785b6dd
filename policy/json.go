package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Error is a problem in a policy document, at a position in its file.
type Error struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// Limits on what a document may be; users files hold many, so these are
// generous for one policy and still keep a hostile file cheap.
const (
	MaxDocumentSize = 1 << 20
	maxDepth        = 32
)

// source is the file a document comes from; the document is
// whole[base:], so that errors in a policy embedded in a larger file (a
// users file) name the line in that file.
type source struct {
	file  string
	whole []byte
	base  int
}

// errAt returns an *Error for byte offset off of the document.
func (s source) errAt(off int, format string, args ...any) *Error {
	line, col := Position(s.whole, s.base+off)
	return &Error{File: s.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// Position turns a byte offset into a 1-based line and column (in bytes).
func Position(text []byte, off int) (line, col int) {
	off = min(max(off, 0), len(text))
	before := text[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = off - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// node is a JSON value with the offset where it starts.
type node struct {
	off    int
	kind   byte // 's' string, 'n' number, 'b' bool, 'z' null, 'a' array, 'o' object
	str    string
	b      bool
	items  []*node
	fields []field
}

type field struct {
	key string
	off int
	val *node
}

func (n *node) kindName() string {
	switch n.kind {
	case 's':
		return "a string"
	case 'n':
		return "a number"
	case 'b':
		return "a boolean"
	case 'z':
		return "null"
	case 'a':
		return "a list"
	}
	return "an object"
}

// decodeTree reads one JSON value (and nothing after it) into nodes,
// refusing duplicate object keys. Offsets are relative to text.
func decodeTree(text []byte) (*node, int, error) {
	d := &treeDecoder{text: text, dec: json.NewDecoder(bytes.NewReader(text))}
	d.dec.UseNumber()
	n, err := d.value(0)
	if err != nil {
		return nil, d.errOff, err
	}
	if _, err := d.dec.Token(); err != io.EOF {
		return nil, d.start(), errors.New("unexpected text after the JSON document")
	}
	return n, 0, nil
}

type treeDecoder struct {
	text   []byte
	dec    *json.Decoder
	errOff int
}

// start is the offset of the next token: the decoder's offset past
// whitespace and the separators ',' and ':'.
func (d *treeDecoder) start() int {
	i := int(d.dec.InputOffset())
	for i < len(d.text) {
		switch d.text[i] {
		case ' ', '\t', '\r', '\n', ',', ':':
			i++
			continue
		}
		break
	}
	return i
}

func (d *treeDecoder) fail(off int, err error) error {
	d.errOff = off
	var se *json.SyntaxError
	if errors.As(err, &se) {
		d.errOff = int(se.Offset)
		return fmt.Errorf("invalid JSON: %s", se.Error())
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		d.errOff = len(d.text)
		return errors.New("invalid JSON: the document ends early")
	}
	return err
}

func (d *treeDecoder) value(depth int) (*node, error) {
	off := d.start()
	if depth > maxDepth {
		return nil, d.fail(off, errors.New("nested too deeply"))
	}
	tok, err := d.dec.Token()
	if err != nil {
		return nil, d.fail(off, err)
	}
	n := &node{off: off}
	switch t := tok.(type) {
	case string:
		n.kind, n.str = 's', t
	case json.Number:
		n.kind, n.str = 'n', t.String()
	case bool:
		n.kind, n.b = 'b', t
	case nil:
		n.kind = 'z'
	case json.Delim:
		switch t {
		case '[':
			n.kind = 'a'
			for d.dec.More() {
				it, err := d.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, it)
			}
		case '{':
			n.kind = 'o'
			if err := d.object(n, depth); err != nil {
				return nil, err
			}
		}
		if _, err := d.dec.Token(); err != nil { // the closing delimiter
			return nil, d.fail(d.start(), err)
		}
	}
	return n, nil
}

func (d *treeDecoder) object(n *node, depth int) error {
	seen := map[string]bool{}
	for d.dec.More() {
		koff := d.start()
		tok, err := d.dec.Token()
		if err != nil {
			return d.fail(koff, err)
		}
		k, _ := tok.(string)
		if seen[k] {
			return d.fail(koff, fmt.Errorf("%q appears twice", k))
		}
		seen[k] = true
		v, err := d.value(depth + 1)
		if err != nil {
			return err
		}
		n.fields = append(n.fields, field{key: k, off: koff, val: v})
	}
	return nil
}
