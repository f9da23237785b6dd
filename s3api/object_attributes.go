package s3api

import (
	"encoding/xml"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// GetObjectAttributes (GET /bucket/key?attributes) is HEAD and ListParts of
// a completed object in one XML answer: the client names the attributes it
// wants in x-amz-object-attributes (ETag, Checksum, ObjectParts,
// StorageClass, ObjectSize) and gets only those. Everything comes from the
// opened object's Info, PartRange and PartChecksums, which the Service
// answers from the object's stored attributes and part table: no object
// data is read, so it works wherever HEAD does (an ingest-only host too).
//
// As in S3: the ETag is unquoted; ObjectParts is answered for multipart
// objects only, and lists Part elements (size and checksum of each part)
// only when the object kept per-part checksums, otherwise just the part
// count; Last-Modified, x-amz-version-id and, for a delete marker,
// x-amz-delete-marker come as headers.

// objectAttributeNames are the values x-amz-object-attributes accepts.
var objectAttributeNames = []string{"ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"}

// defaultAttributesMaxParts is the page size without x-amz-max-parts.
const defaultAttributesMaxParts = 1000

type objectAttributesXML struct {
	XMLName      xml.Name            `xml:"GetObjectAttributesResponse"`
	Xmlns        string              `xml:"xmlns,attr"`
	ETag         string              `xml:",omitempty"`
	Checksum     *attributesChecksum `xml:",omitempty"`
	ObjectParts  *attributesPartsXML `xml:",omitempty"`
	StorageClass string              `xml:",omitempty"`
	ObjectSize   *int64              `xml:",omitempty"`
}

type attributesChecksum struct {
	checksumFields
	ChecksumType string `xml:",omitempty"`
}

type attributesPartsXML struct {
	PartsCount           int
	PartNumberMarker     int
	NextPartNumberMarker int
	MaxParts             int
	IsTruncated          bool
	Parts                []attributesPartXML `xml:"Part"`
}

type attributesPartXML struct {
	checksumFields
	PartNumber int
	Size       int64
}

// parseObjectAttributes reads x-amz-object-attributes (comma-separated,
// possibly repeated) into a set.
func parseObjectAttributes(h http.Header) (map[string]bool, error) {
	want := map[string]bool{}
	for _, v := range h.Values("x-amz-object-attributes") {
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			if !containsString(objectAttributeNames, name) {
				return nil, ErrInvalidArgument.WithMessage("Invalid attribute name specified.")
			}
			want[name] = true
		}
	}
	if len(want) == 0 {
		return nil, ErrInvalidRequest.WithMessage("The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty")
	}
	return want, nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// attributesPaging reads x-amz-max-parts and x-amz-part-number-marker.
func attributesPaging(h http.Header) (maxParts, marker int, err error) {
	maxParts = defaultAttributesMaxParts
	if v := h.Get("x-amz-max-parts"); v != "" {
		n, e := strconv.Atoi(v)
		if e != nil || n < 0 {
			return 0, 0, ErrInvalidArgument.WithMessage("Argument max-parts must be an integer between 0 and 2147483647")
		}
		maxParts = min(n, defaultAttributesMaxParts)
	}
	if v := h.Get("x-amz-part-number-marker"); v != "" {
		n, e := strconv.Atoi(v)
		if e != nil || n < 0 {
			return 0, 0, ErrInvalidArgument.WithMessage("Argument part-number-marker must be an integer between 0 and 2147483647")
		}
		marker = n
	}
	return maxParts, marker, nil
}

// getObjectAttributes answers GET /bucket/key?attributes.
func (rq *request) getObjectAttributes() error {
	want, err := parseObjectAttributes(rq.r.Header)
	if err != nil {
		return rq.missingBucketFirst(err)
	}
	maxParts, marker, err := attributesPaging(rq.r.Header)
	if err != nil {
		return rq.missingBucketFirst(err)
	}
	obj, err := rq.openObject()
	if err != nil {
		return attributesOfMarker(err)
	}
	defer obj.Close()
	info := obj.Info()
	rq.setVersionHeader(info.VersionID)
	rq.setKeyIDs(obj)

	doc := objectAttributesXML{Xmlns: s3Namespace}
	if want["ETag"] && info.ETag != "" {
		doc.ETag = strings.Trim(info.ETag, `"`)
	}
	if want["Checksum"] && len(info.Checksums) > 0 {
		ct := info.ChecksumType
		if ct == "" {
			ct = ChecksumTypeFullObject
		}
		doc.Checksum = &attributesChecksum{checksumFields: toChecksumFields(info.Checksums), ChecksumType: ct}
	}
	if want["ObjectParts"] && info.PartsCount > 0 {
		doc.ObjectParts = objectPartsPage(obj, info.PartsCount, maxParts, marker)
	}
	if want["StorageClass"] {
		doc.StorageClass = "STANDARD"
	}
	if want["ObjectSize"] {
		size := info.Size
		doc.ObjectSize = &size
	}
	if !info.LastModified.IsZero() {
		rq.w.Header().Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
	}
	rq.writeXML(http.StatusOK, &doc)
	return nil
}

// missingBucketFirst answers NoSuchBucket instead of a header error when
// the bucket does not exist, as S3 does for this operation.
func (rq *request) missingBucketFirst(err error) error {
	if herr := rq.h.svc.HeadBucket(rq.r.Context(), rq.bucket); errors.Is(herr, ErrNoSuchBucket) {
		return ErrNoSuchBucket
	}
	return err
}

// attributesOfMarker answers a named delete marker as a missing object:
// S3 documents 405 for GET and HEAD of a marker's version only, and
// answers GetObjectAttributes of one 404 NoSuchKey, still saying (with
// x-amz-delete-marker and the version) that a marker was found.
func attributesOfMarker(err error) error {
	var dm *DeleteMarkerError
	if errors.As(err, &dm) && dm.Err.Code == ErrMethodNotAllowed.Code {
		return &DeleteMarkerError{Err: ErrNoSuchKey, VersionID: dm.VersionID, LastModified: dm.LastModified}
	}
	return err
}

// objectPartsPage is one page of a multipart object's parts, after marker.
// S3 lists Part elements only for objects with per-part checksums; the
// count and paging fields are answered either way.
func objectPartsPage(obj ObjectReader, count, maxParts, marker int) *attributesPartsXML {
	p := &attributesPartsXML{PartsCount: count, PartNumberMarker: marker, MaxParts: maxParts}
	if obj.PartChecksums(1) == nil {
		return p
	}
	for n := marker + 1; n <= count; n++ {
		if len(p.Parts) == maxParts {
			p.IsTruncated = true
			break
		}
		_, size, err := obj.PartRange(n)
		if err != nil {
			break
		}
		p.Parts = append(p.Parts, attributesPartXML{
			checksumFields: toChecksumFields(obj.PartChecksums(n)),
			PartNumber:     n,
			Size:           size,
		})
		p.NextPartNumberMarker = n
	}
	return p
}

// authorizeAttributesRead adds the read permission AWS requires besides
// s3:GetObject(Version)Attributes: the attributes describe the object, so
// a role that may not read it (s3:GetObject, or s3:GetObjectVersion when a
// version is named) may not have them either.
func (rq *request) authorizeAttributesRead(cond map[string]string) error {
	if rq.op != OpGetObjectAttributes {
		return nil
	}
	action := "s3:GetObject"
	if rq.q.Has("versionId") {
		action = "s3:GetObjectVersion"
	}
	if !rq.check(action, rq.bucket, rq.key, cond) {
		return ErrAccessDenied
	}
	return nil
}
