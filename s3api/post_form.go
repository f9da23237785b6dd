package s3api

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
)

// Browser-form uploads (POST Object) arrive as multipart/form-data: the
// fields first, the file last. The form is read as a stream: every field
// before the file is held in memory, bounded as S3 bounds it (the fields
// and their boundaries may not exceed 20 KB), and the file part is handed
// on unread, as the body of the same put path a PUT takes. Anything after
// the file part is ignored, as S3 ignores it.

// maxPostFields bounds the form before the file: 20 KB of fields and
// boundaries, as S3 documents, plus the multipart reader's read-ahead.
const (
	maxPostFields    = 20 << 10
	postReadAhead    = 8 << 10
	postFileField    = "file"
	postIgnorePrefix = "x-ignore-"
)

var (
	errPostNotForm = ErrPreconditionFailed.WithMessage("At least one of the pre-conditions you specified did not hold")
	// ErrMalformedPOSTRequest: the body is not multipart/form-data S3 can read.
	ErrMalformedPOSTRequest = newErr("MalformedPOSTRequest", http.StatusBadRequest, "The body of your POST request is not well-formed multipart/form-data.")
	// ErrMaxPostPreDataLengthExceeded: the fields before the file exceed 20 KB.
	ErrMaxPostPreDataLengthExceeded = newErr("MaxPostPreDataLengthExceededError", http.StatusBadRequest, "Your POST request fields preceding the upload file were too large.")
	// ErrIncorrectNumberOfFilesInPostRequest: the form has no file field.
	ErrIncorrectNumberOfFilesInPostRequest = newErr("IncorrectNumberOfFilesInPostRequest", http.StatusBadRequest, "POST requires exactly one file upload per request.")
)

func init() {
	errPostNotForm.Condition = "Bucket POST must be of the enclosure-type multipart/form-data"
}

// postForm is a POST upload's form as read up to the file.
type postForm struct {
	fields   map[string]string // lower-cased name -> value
	order    []string          // lower-cased names in form order
	file     io.Reader         // the file part's content, unread
	filename string            // the file part's file name, for ${filename}
	limit    *fieldLimit
}

// get returns a field's value ("" when absent) and whether it was sent.
func (f *postForm) get(name string) (string, bool) {
	v, ok := f.fields[name]
	return v, ok
}

// fieldLimit fails reads past max bytes until it is opened for the file.
type fieldLimit struct {
	r    io.Reader
	n    int64
	max  int64
	open bool
}

var errFieldsTooLarge = errors.New("s3api: POST form fields exceed their limit")

func (l *fieldLimit) Read(p []byte) (int, error) {
	if !l.open {
		if l.n >= l.max {
			return 0, errFieldsTooLarge
		}
		if rest := l.max - l.n; int64(len(p)) > rest {
			p = p[:rest]
		}
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	return n, err
}

// postBoundary checks the request's Content-Type: a POST on a bucket that
// is not a form is a failed precondition (S3's answer), a form without a
// boundary is malformed.
func postBoundary(h http.Header) (string, error) {
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
		return "", errPostNotForm
	}
	if !strings.EqualFold(mt, "multipart/form-data") {
		return "", errPostNotForm
	}
	b := params["boundary"]
	if b == "" {
		return "", ErrMalformedPOSTRequest.WithDetail("The Content-Type has no boundary parameter.")
	}
	return b, nil
}

// readPostForm reads the form's fields up to and including the file part's
// header. Field names are matched without regard to case, as S3 does; a
// field sent twice is refused rather than one of the values silently
// winning.
func readPostForm(body io.Reader, boundary string) (*postForm, error) {
	lim := &fieldLimit{r: body, max: maxPostFields + postReadAhead}
	mr := multipart.NewReader(lim, boundary)
	f := &postForm{fields: make(map[string]string), limit: lim}
	size := 0
	for {
		p, err := mr.NextPart()
		switch {
		case errors.Is(err, errFieldsTooLarge):
			return nil, ErrMaxPostPreDataLengthExceeded
		case err == io.EOF:
			return f, nil // no file: the caller answers after authenticating
		case err != nil:
			return nil, ErrMalformedPOSTRequest.WithDetail("%v", truncate(err.Error(), 200))
		}
		name := strings.ToLower(p.FormName())
		if name == "" {
			return nil, ErrMalformedPOSTRequest.WithDetail("A form part has no field name.")
		}
		if name == postFileField {
			lim.open = true
			f.file, f.filename = p, p.FileName()
			return f, nil
		}
		v, err := io.ReadAll(p)
		switch {
		case errors.Is(err, errFieldsTooLarge):
			return nil, ErrMaxPostPreDataLengthExceeded
		case err != nil:
			return nil, ErrMalformedPOSTRequest.WithDetail("field %q: %v", truncate(name, 64), truncate(err.Error(), 200))
		}
		if size += len(name) + len(v); size > maxPostFields {
			return nil, ErrMaxPostPreDataLengthExceeded
		}
		if _, dup := f.fields[name]; dup {
			return nil, ErrInvalidArgument.WithMessage("The form field %q is given more than once.", truncate(name, 64))
		}
		f.fields[name] = string(v)
		f.order = append(f.order, name)
	}
}
