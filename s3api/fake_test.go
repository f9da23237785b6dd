package s3api

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// fakeService is an in-memory Service for the handler's unit tests. It
// reads bodies the way a real Service must (to io.EOF, failing on a read
// error) and records what it saw.
type fakeService struct {
	mu      sync.Mutex
	buckets map[string]*fakeBucket
	uploads map[string]*fakeUpload
	nextID  int
	now     time.Time

	bodyErrs  []error // errors a body Read returned to the service
	calls     []string
	failRead  map[string]error // key -> error from the object reader's Read
	readExact bool             // read exactly Size bytes, never asking for io.EOF

	lastExpected     Checksums // ExpectedChecksums of the last complete
	lastCopyChecksum string    // Checksum of the last copy
}

type fakeBucket struct {
	created time.Time
	objects map[string]*fakeObject
	tags    []Tag              // bucket tags (fake_config_test.go)
	cors    *CORSConfiguration // (fake_config_test.go)
}

type fakeObject struct {
	info  ObjectInfo
	data  []byte
	parts []fakePart
}

type fakePart struct {
	PartInfo
	data []byte
}

type fakeUpload struct {
	bucket, key string
	meta        ObjectMeta
	tags        []Tag
	alg, typ    string
	parts       map[int]*fakePart
	initiated   time.Time
}

func newFakeService() *fakeService {
	return &fakeService{
		buckets:  map[string]*fakeBucket{},
		uploads:  map[string]*fakeUpload{},
		failRead: map[string]error{},
		now:      time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC),
	}
}

func (f *fakeService) call(name string) {
	f.mu.Lock()
	f.calls = append(f.calls, name)
	f.mu.Unlock()
}

func (f *fakeService) bucket(name string) (*fakeBucket, error) {
	b, ok := f.buckets[name]
	if !ok {
		return nil, ErrNoSuchBucket
	}
	return b, nil
}

// readBody reads a request body like a Service would and records errors.
func (f *fakeService) readBody(b Body, size int64) ([]byte, error) {
	var data []byte
	var err error
	if f.readExact && size >= 0 {
		data = make([]byte, size)
		_, err = io.ReadFull(b, data)
	} else {
		data, err = io.ReadAll(b)
	}
	if err != nil {
		f.mu.Lock()
		f.bodyErrs = append(f.bodyErrs, err)
		f.mu.Unlock()
		return nil, fmt.Errorf("fake: reading body: %w", err)
	}
	return data, nil
}

func (f *fakeService) ListBuckets(ctx context.Context) ([]BucketInfo, error) {
	f.call("ListBuckets")
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []BucketInfo
	for n, b := range f.buckets {
		out = append(out, BucketInfo{Name: n, Created: b.created})
	}
	return out, nil
}

func (f *fakeService) CreateBucket(ctx context.Context, bucket string) error {
	f.call("CreateBucket")
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.buckets[bucket]; ok {
		return ErrBucketAlreadyOwnedByYou
	}
	f.buckets[bucket] = &fakeBucket{created: f.now, objects: map[string]*fakeObject{}}
	return nil
}

func (f *fakeService) HeadBucket(ctx context.Context, bucket string) error {
	f.call("HeadBucket")
	f.mu.Lock()
	defer f.mu.Unlock()
	_, err := f.bucket(bucket)
	return err
}

func (f *fakeService) DeleteBucket(ctx context.Context, bucket string) error {
	f.call("DeleteBucket")
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(bucket)
	if err != nil {
		return err
	}
	if len(b.objects) > 0 {
		return ErrBucketNotEmpty
	}
	delete(f.buckets, bucket)
	return nil
}

func (f *fakeService) PutObject(ctx context.Context, in *PutObjectInput) (*PutObjectOutput, error) {
	f.call("PutObject")
	// Like the gateway: a condition that fails now fails before the body
	// is read.
	f.mu.Lock()
	if b, err := f.bucket(in.Bucket); err == nil {
		if err := b.checkWrite(in.Key, in.Cond); err != nil {
			f.mu.Unlock()
			return nil, err
		}
	}
	f.mu.Unlock()
	data, err := f.readBody(in.Body, in.Size)
	if err != nil {
		return nil, err
	}
	sums := in.Body.Sums()
	if !bytes.Equal(sums.MD5, md5Sum(data)) {
		return nil, errors.New("fake: Sums().MD5 does not match the data")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(in.Bucket)
	if err != nil {
		return nil, err
	}
	if err := b.checkWrite(in.Key, in.Cond); err != nil {
		return nil, err
	}
	etag := hex.EncodeToString(sums.MD5)
	b.objects[in.Key] = &fakeObject{
		info: ObjectInfo{Key: in.Key, Size: int64(len(data)), ETag: etag, LastModified: f.now, Meta: in.Meta, Checksums: sums.Checksums, Tags: in.Tags},
		data: data,
	}
	return &PutObjectOutput{ETag: etag, Checksums: sums.Checksums}, nil
}

func md5Sum(b []byte) []byte { s := md5.Sum(b); return s[:] }

func (f *fakeService) object(bucket, key string) (*fakeObject, error) {
	b, err := f.bucket(bucket)
	if err != nil {
		return nil, err
	}
	o, ok := b.objects[key]
	if !ok {
		return nil, ErrNoSuchKey
	}
	return o, nil
}

func (f *fakeService) GetObject(ctx context.Context, bucket, key string) (ObjectReader, error) {
	f.call("GetObject")
	f.mu.Lock()
	defer f.mu.Unlock()
	o, err := f.object(bucket, key)
	if err != nil {
		return nil, err
	}
	info := o.info
	return &fakeReader{o: o, info: &info, failRead: f.failRead[key]}, nil
}

type fakeReader struct {
	o        *fakeObject
	info     *ObjectInfo
	failRead error
}

func (r *fakeReader) Info() *ObjectInfo { return r.info }

func (r *fakeReader) ReadRange(off, n int64) (io.ReadCloser, error) {
	if off < 0 || n < 0 || off+n > int64(len(r.o.data)) {
		return nil, fmt.Errorf("fake: range %d+%d outside %d bytes", off, n, len(r.o.data))
	}
	var rd io.Reader = bytes.NewReader(r.o.data[off : off+n])
	if r.failRead != nil {
		rd = io.MultiReader(io.LimitReader(rd, n/2), errReader{r.failRead})
	}
	return io.NopCloser(rd), nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func (r *fakeReader) PartRange(pn int) (int64, int64, error) {
	if len(r.o.parts) == 0 {
		if pn == 1 {
			return 0, r.info.Size, nil
		}
		return 0, 0, ErrInvalidPartNumber
	}
	if pn > len(r.o.parts) {
		return 0, 0, ErrInvalidPartNumber
	}
	var off int64
	for _, p := range r.o.parts[:pn-1] {
		off += p.Size
	}
	return off, r.o.parts[pn-1].Size, nil
}

func (r *fakeReader) PartChecksums(pn int) Checksums {
	if pn <= len(r.o.parts) {
		return r.o.parts[pn-1].Checksums
	}
	return nil
}

func (r *fakeReader) Close() error { return nil }

func (f *fakeService) DeleteObject(ctx context.Context, bucket, key string, cond ...DeleteConditions) error {
	f.call("DeleteObject")
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(bucket)
	if err != nil {
		return err
	}
	if strings.HasPrefix(key, "locked") {
		return ErrAccessDenied
	}
	o, ok := b.objects[key]
	var info *ObjectInfo
	if ok {
		info = &o.info
	}
	for _, c := range cond {
		if err := c.Check(info); err != nil {
			return err
		}
	}
	if !ok {
		return ErrNoSuchKey
	}
	delete(b.objects, key)
	return nil
}

func (f *fakeService) CopyObject(ctx context.Context, in *CopyObjectInput) (*CopyObjectOutput, error) {
	f.call("CopyObject")
	f.mu.Lock()
	defer f.mu.Unlock()
	src, err := f.object(in.SrcBucket, in.SrcKey)
	if err != nil {
		return nil, err
	}
	if in.SourceCheck != nil {
		info := src.info
		if err := in.SourceCheck(&info); err != nil {
			return nil, err
		}
	}
	db, err := f.bucket(in.DstBucket)
	if err != nil {
		return nil, err
	}
	if err := db.checkWrite(in.DstKey, in.Cond); err != nil {
		return nil, err
	}
	f.lastCopyChecksum = in.Checksum
	o := &fakeObject{info: src.info, data: src.data}
	o.info.Key = in.DstKey
	o.info.LastModified = f.now.Add(time.Hour)
	if in.ReplaceMeta {
		o.info.Meta = in.Meta
	}
	if in.ReplaceTags {
		o.info.Tags = in.Tags
	}
	db.objects[in.DstKey] = o
	return &CopyObjectOutput{ETag: o.info.ETag, LastModified: o.info.LastModified, Checksums: o.info.Checksums}, nil
}

func (f *fakeService) ListObjects(ctx context.Context, in *ListObjectsInput) (*ListObjectsOutput, error) {
	f.call("ListObjects")
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(in.Bucket)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(b.objects))
	for k := range b.objects {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := &ListObjectsOutput{}
	n := 0
	for _, k := range keys {
		if !strings.HasPrefix(k, in.Prefix) || k <= in.After {
			continue
		}
		entry, isPrefix := k, false
		if in.Delimiter != "" {
			if i := strings.Index(k[len(in.Prefix):], in.Delimiter); i >= 0 {
				entry, isPrefix = k[:len(in.Prefix)+i+len(in.Delimiter)], true
				if entry <= in.After || (len(out.CommonPrefixes) > 0 && out.CommonPrefixes[len(out.CommonPrefixes)-1] == entry) {
					continue
				}
			}
		}
		if n == in.MaxKeys {
			out.IsTruncated = true
			break
		}
		n++
		if isPrefix {
			out.CommonPrefixes = append(out.CommonPrefixes, entry)
		} else {
			out.Objects = append(out.Objects, b.objects[k].info)
		}
		out.NextAfter = entry
	}
	return out, nil
}

func (f *fakeService) CreateMultipartUpload(ctx context.Context, in *CreateMultipartUploadInput) (string, error) {
	f.call("CreateMultipartUpload")
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.bucket(in.Bucket); err != nil {
		return "", err
	}
	f.nextID++
	id := fmt.Sprintf("upload-%d", f.nextID)
	f.uploads[id] = &fakeUpload{bucket: in.Bucket, key: in.Key, meta: in.Meta, tags: in.Tags, alg: in.ChecksumAlgorithm, typ: in.ChecksumType, parts: map[int]*fakePart{}, initiated: f.now}
	return id, nil
}

func (f *fakeService) upload(bucket, key, id string) (*fakeUpload, error) {
	u, ok := f.uploads[id]
	if !ok || u.bucket != bucket || u.key != key {
		return nil, ErrNoSuchUpload
	}
	return u, nil
}

func (f *fakeService) UploadPart(ctx context.Context, in *UploadPartInput) (*UploadPartOutput, error) {
	f.call("UploadPart")
	f.mu.Lock()
	_, err := f.upload(in.Bucket, in.Key, in.UploadID)
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	data, err := f.readBody(in.Body, in.Size)
	if err != nil {
		return nil, err
	}
	sums := in.Body.Sums()
	f.mu.Lock()
	defer f.mu.Unlock()
	u, err := f.upload(in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return nil, err
	}
	etag := hex.EncodeToString(sums.MD5)
	u.parts[in.PartNumber] = &fakePart{PartInfo: PartInfo{PartNumber: in.PartNumber, ETag: etag, Size: int64(len(data)), LastModified: f.now, Checksums: sums.Checksums}, data: data}
	return &UploadPartOutput{ETag: etag, Checksums: sums.Checksums}, nil
}

func (f *fakeService) UploadPartCopy(ctx context.Context, in *UploadPartCopyInput) (*UploadPartOutput, error) {
	f.call("UploadPartCopy")
	f.mu.Lock()
	defer f.mu.Unlock()
	u, err := f.upload(in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return nil, err
	}
	src, err := f.object(in.SrcBucket, in.SrcKey)
	if err != nil {
		return nil, err
	}
	info := src.info
	if err := in.SourceCheck(&info); err != nil {
		return nil, err
	}
	data := src.data
	if in.Range != nil {
		data = data[in.Range.First : in.Range.Last+1]
	}
	etag := hex.EncodeToString(md5Sum(data))
	u.parts[in.PartNumber] = &fakePart{PartInfo: PartInfo{PartNumber: in.PartNumber, ETag: etag, Size: int64(len(data)), LastModified: f.now}, data: data}
	return &UploadPartOutput{ETag: etag, LastModified: f.now}, nil
}

func (f *fakeService) CompleteMultipartUpload(ctx context.Context, in *CompleteMultipartUploadInput) (*CompleteMultipartUploadOutput, error) {
	f.call("CompleteMultipartUpload")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastExpected = in.ExpectedChecksums
	u, err := f.upload(in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return nil, err
	}
	var data, md5s []byte
	var parts []fakePart
	for _, cp := range in.Parts {
		p, ok := u.parts[cp.PartNumber]
		if !ok || p.ETag != cp.ETag {
			return nil, ErrInvalidPart
		}
		data = append(data, p.data...)
		m, _ := hex.DecodeString(p.ETag)
		md5s = append(md5s, m...)
		parts = append(parts, *p)
	}
	etag := fmt.Sprintf("%x-%d", md5.Sum(md5s), len(in.Parts))
	b := f.buckets[u.bucket]
	if err := b.checkWrite(u.key, in.Cond); err != nil {
		return nil, err
	}
	b.objects[u.key] = &fakeObject{
		info:  ObjectInfo{Key: u.key, Size: int64(len(data)), ETag: etag, LastModified: f.now, Meta: u.meta, PartsCount: len(parts), Tags: u.tags},
		data:  data,
		parts: parts,
	}
	delete(f.uploads, in.UploadID)
	return &CompleteMultipartUploadOutput{ETag: etag}, nil
}

func (f *fakeService) AbortMultipartUpload(ctx context.Context, bucket, key, id string, cond ...AbortConditions) error {
	f.call("AbortMultipartUpload")
	f.mu.Lock()
	defer f.mu.Unlock()
	u, err := f.upload(bucket, key, id)
	if err != nil {
		return err
	}
	for _, c := range cond {
		if err := c.Check(u.initiated); err != nil {
			return err
		}
	}
	delete(f.uploads, id)
	return nil
}

func (f *fakeService) ListParts(ctx context.Context, in *ListPartsInput) (*ListPartsOutput, error) {
	f.call("ListParts")
	f.mu.Lock()
	defer f.mu.Unlock()
	u, err := f.upload(in.Bucket, in.Key, in.UploadID)
	if err != nil {
		return nil, err
	}
	var nums []int
	for n := range u.parts {
		if n > in.PartNumberMarker {
			nums = append(nums, n)
		}
	}
	sort.Ints(nums)
	out := &ListPartsOutput{ChecksumAlgorithm: u.alg, ChecksumType: u.typ, Initiated: u.initiated}
	for i, n := range nums {
		if i == in.MaxParts {
			out.IsTruncated = true
			break
		}
		out.Parts = append(out.Parts, u.parts[n].PartInfo)
		out.NextPartNumberMarker = n
	}
	return out, nil
}

func (f *fakeService) ListMultipartUploads(ctx context.Context, in *ListUploadsInput) (*ListUploadsOutput, error) {
	f.call("ListMultipartUploads")
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.bucket(in.Bucket); err != nil {
		return nil, err
	}
	out := &ListUploadsOutput{}
	var ids []string
	for id, u := range f.uploads {
		if u.bucket == in.Bucket && strings.HasPrefix(u.key, in.Prefix) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		u := f.uploads[id]
		out.Uploads = append(out.Uploads, UploadInfo{Key: u.key, UploadID: id, Initiated: u.initiated})
	}
	return out, nil
}

func (f *fakeService) PutObjectTagging(ctx context.Context, bucket, key string, tags []Tag) error {
	f.call("PutObjectTagging")
	f.mu.Lock()
	defer f.mu.Unlock()
	o, err := f.object(bucket, key)
	if err != nil {
		return err
	}
	o.info.Tags = tags
	return nil
}
