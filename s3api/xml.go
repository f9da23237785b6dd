package s3api

import (
	"encoding/xml"
	"time"
)

// XML documents of the S3 API. Element names and order follow the S3 API
// reference; responses carry the S3 namespace.

// timeISO formats times in listings as S3 does (millisecond precision, Z).
func timeISO(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

type owner struct {
	ID          string
	DisplayName string
}

// checksumFields are the Checksum* elements of several documents.
type checksumFields struct {
	ChecksumCRC32     string `xml:",omitempty"`
	ChecksumCRC32C    string `xml:",omitempty"`
	ChecksumCRC64NVME string `xml:",omitempty"`
	ChecksumSHA1      string `xml:",omitempty"`
	ChecksumSHA256    string `xml:",omitempty"`
	ChecksumSHA512    string `xml:",omitempty"`
	ChecksumMD5       string `xml:",omitempty"`
	ChecksumXXHASH64  string `xml:",omitempty"`
	ChecksumXXHASH3   string `xml:",omitempty"`
	ChecksumXXHASH128 string `xml:",omitempty"`
}

func toChecksumFields(cs Checksums) checksumFields {
	return checksumFields{
		ChecksumCRC32:     cs[ChecksumCRC32],
		ChecksumCRC32C:    cs[ChecksumCRC32C],
		ChecksumCRC64NVME: cs[ChecksumCRC64NVME],
		ChecksumSHA1:      cs[ChecksumSHA1],
		ChecksumSHA256:    cs[ChecksumSHA256],
		ChecksumSHA512:    cs[ChecksumSHA512],
		ChecksumMD5:       cs[ChecksumMD5],
		ChecksumXXHASH64:  cs[ChecksumXXHASH64],
		ChecksumXXHASH3:   cs[ChecksumXXHASH3],
		ChecksumXXHASH128: cs[ChecksumXXHASH128],
	}
}

func (c checksumFields) checksums() Checksums {
	var cs Checksums
	for alg, v := range map[string]string{
		ChecksumCRC32:     c.ChecksumCRC32,
		ChecksumCRC32C:    c.ChecksumCRC32C,
		ChecksumCRC64NVME: c.ChecksumCRC64NVME,
		ChecksumSHA1:      c.ChecksumSHA1,
		ChecksumSHA256:    c.ChecksumSHA256,
		ChecksumSHA512:    c.ChecksumSHA512,
		ChecksumMD5:       c.ChecksumMD5,
		ChecksumXXHASH64:  c.ChecksumXXHASH64,
		ChecksumXXHASH3:   c.ChecksumXXHASH3,
		ChecksumXXHASH128: c.ChecksumXXHASH128,
	} {
		if v != "" {
			if cs == nil {
				cs = Checksums{}
			}
			cs[alg] = v
		}
	}
	return cs
}

type listAllMyBucketsResult struct {
	XMLName xml.Name `xml:"ListAllMyBucketsResult"`
	Xmlns   string   `xml:"xmlns,attr"`
	Owner   owner
	Buckets []bucketXML `xml:"Buckets>Bucket"`
	// ContinuationToken continues a truncated listing; Prefix echoes
	// the request's.
	ContinuationToken string `xml:",omitempty"`
	Prefix            string `xml:",omitempty"`
}

type bucketXML struct {
	Name         string
	CreationDate string
	BucketRegion string `xml:",omitempty"`
	// BucketArn is the bucket's ARN in the general-purpose form
	// ("arn:aws:s3:::name"); current SDKs read it.
	BucketArn string `xml:",omitempty"`
}

type createBucketConfiguration struct {
	XMLName            xml.Name `xml:"CreateBucketConfiguration"`
	LocationConstraint string
	Tags               *createBucketTags // create_bucket_tags.go
}

type locationConstraint struct {
	XMLName xml.Name `xml:"LocationConstraint"`
	Xmlns   string   `xml:"xmlns,attr"`
	Value   string   `xml:",chardata"`
}

type versioningConfiguration struct {
	XMLName xml.Name `xml:"VersioningConfiguration"`
	Xmlns   string   `xml:"xmlns,attr"`
	Status  string   `xml:",omitempty"`
}

type accessControlPolicy struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	Xmlns   string   `xml:"xmlns,attr"`
	Owner   owner
	Grants  []grant `xml:"AccessControlList>Grant"`
}

type grant struct {
	Grantee    grantee
	Permission string
}

type grantee struct {
	XMLNSXSI    string `xml:"xmlns:xsi,attr"`
	XSIType     string `xml:"xsi:type,attr"`
	ID          string
	DisplayName string
}

type objectXML struct {
	Key          string
	LastModified string
	ETag         string
	Size         int64
	StorageClass string
	Owner        *owner `xml:",omitempty"`
	// ChecksumAlgorithm lists the algorithms of the object's checksums.
	ChecksumAlgorithm []string `xml:",omitempty"`
	ChecksumType      string   `xml:",omitempty"`
}

type commonPrefix struct {
	Prefix string
}

// listBucketResultV1 keeps Marker present even when empty, as S3 does.
type listBucketResultV1 struct {
	XMLName      xml.Name `xml:"ListBucketResult"`
	Xmlns        string   `xml:"xmlns,attr"`
	Name         string
	Prefix       string
	Marker       string
	NextMarker   string `xml:",omitempty"`
	MaxKeys      int
	Delimiter    string `xml:",omitempty"`
	IsTruncated  bool
	EncodingType string `xml:",omitempty"`
	Contents     []objectXML
	Prefixes     []commonPrefix `xml:"CommonPrefixes"`
}

type listBucketResultV2 struct {
	XMLName               xml.Name `xml:"ListBucketResult"`
	Xmlns                 string   `xml:"xmlns,attr"`
	Name                  string
	Prefix                string
	Delimiter             string `xml:",omitempty"`
	MaxKeys               int
	KeyCount              int
	IsTruncated           bool
	EncodingType          string `xml:",omitempty"`
	ContinuationToken     string `xml:",omitempty"`
	NextContinuationToken string `xml:",omitempty"`
	StartAfter            string `xml:",omitempty"`
	Contents              []objectXML
	Prefixes              []commonPrefix `xml:"CommonPrefixes"`
}

type versionXML struct {
	XMLName      xml.Name `xml:"Version"`
	Key          string
	VersionID    string `xml:"VersionId"`
	IsLatest     bool
	LastModified string
	ETag         string
	Size         int64
	StorageClass string
	Owner        owner
	// ChecksumAlgorithm lists the algorithms of the object's checksums.
	ChecksumAlgorithm []string `xml:",omitempty"`
	ChecksumType      string   `xml:",omitempty"`
}

type listVersionsResult struct {
	XMLName             xml.Name `xml:"ListVersionsResult"`
	Xmlns               string   `xml:"xmlns,attr"`
	Name                string
	Prefix              string
	KeyMarker           string
	VersionIDMarker     string `xml:"VersionIdMarker"`
	NextKeyMarker       string `xml:",omitempty"`
	NextVersionIDMarker string `xml:"NextVersionIdMarker,omitempty"`
	MaxKeys             int
	Delimiter           string `xml:",omitempty"`
	IsTruncated         bool
	EncodingType        string `xml:",omitempty"`
	// Versions holds versionXML and deleteMarkerXML entries in listing
	// order, as S3 interleaves them.
	Versions []any
	Prefixes []commonPrefix `xml:"CommonPrefixes"`
}

type deleteMarkerXML struct {
	XMLName      xml.Name `xml:"DeleteMarker"`
	Key          string
	VersionID    string `xml:"VersionId"`
	IsLatest     bool
	LastModified string
	Owner        owner
}

type deleteRequest struct {
	XMLName xml.Name `xml:"Delete"`
	Quiet   bool
	Objects []deleteObjectXML `xml:"Object"`
}

type deleteObjectXML struct {
	Key              string
	VersionID        string  `xml:"VersionId"`
	ETag             string  `xml:"ETag"`             // conditional delete: If-Match
	LastModifiedTime string  `xml:"LastModifiedTime"` // conditional delete: ISO 8601
	Size             *string `xml:"Size"`             // conditional delete
}

type deleteResult struct {
	XMLName xml.Name `xml:"DeleteResult"`
	Xmlns   string   `xml:"xmlns,attr"`
	Deleted []deletedXML
	Errors  []deleteErrorXML `xml:"Error"`
}

type deletedXML struct {
	Key                   string
	VersionID             string `xml:"VersionId,omitempty"`
	DeleteMarker          *bool  `xml:",omitempty"` // false is sent for a version deleted by ID
	DeleteMarkerVersionID string `xml:"DeleteMarkerVersionId,omitempty"`
}

type deleteErrorXML struct {
	Key       string
	VersionID string `xml:"VersionId,omitempty"`
	Code      string
	Message   string
}

type copyObjectResult struct {
	XMLName      xml.Name `xml:"CopyObjectResult"`
	Xmlns        string   `xml:"xmlns,attr"`
	LastModified string
	ETag         string
	checksumFields
	ChecksumType string `xml:",omitempty"`
}

type copyPartResult struct {
	XMLName      xml.Name `xml:"CopyPartResult"`
	Xmlns        string   `xml:"xmlns,attr"`
	LastModified string
	ETag         string
	checksumFields
}

type initiateMultipartUploadResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	Xmlns    string   `xml:"xmlns,attr"`
	Bucket   string
	Key      string
	UploadID string `xml:"UploadId"`
}

type completeMultipartUpload struct {
	XMLName xml.Name          `xml:"CompleteMultipartUpload"`
	Parts   []completePartXML `xml:"Part"`
}

type completePartXML struct {
	PartNumber *int
	ETag       *string
	checksumFields
}

type completeMultipartUploadResult struct {
	XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
	Xmlns    string   `xml:"xmlns,attr"`
	Location string
	Bucket   string
	Key      string
	ETag     string
	checksumFields
	ChecksumType string `xml:",omitempty"`
}

type listPartsResult struct {
	XMLName              xml.Name `xml:"ListPartsResult"`
	Xmlns                string   `xml:"xmlns,attr"`
	Bucket               string
	Key                  string
	UploadID             string `xml:"UploadId"`
	Initiator            owner
	Owner                owner
	StorageClass         string
	PartNumberMarker     int
	NextPartNumberMarker int
	MaxParts             int
	IsTruncated          bool
	Parts                []partXML `xml:"Part"`
	ChecksumAlgorithm    string    `xml:",omitempty"`
	ChecksumType         string    `xml:",omitempty"`
}

type partXML struct {
	PartNumber   int
	LastModified string
	ETag         string
	Size         int64
	checksumFields
}

type listMultipartUploadsResult struct {
	XMLName            xml.Name `xml:"ListMultipartUploadsResult"`
	Xmlns              string   `xml:"xmlns,attr"`
	Bucket             string
	KeyMarker          string
	UploadIDMarker     string `xml:"UploadIdMarker"`
	NextKeyMarker      string
	NextUploadIDMarker string `xml:"NextUploadIdMarker"`
	Prefix             string
	Delimiter          string `xml:",omitempty"`
	MaxUploads         int
	IsTruncated        bool
	EncodingType       string         `xml:",omitempty"`
	Uploads            []uploadXML    `xml:"Upload"`
	Prefixes           []commonPrefix `xml:"CommonPrefixes"`
}

type uploadXML struct {
	Key               string
	UploadID          string `xml:"UploadId"`
	Initiator         owner
	Owner             owner
	StorageClass      string
	Initiated         string
	ChecksumAlgorithm string `xml:",omitempty"`
	ChecksumType      string `xml:",omitempty"`
}
