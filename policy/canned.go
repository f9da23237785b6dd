package policy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// CannedNames lists the canned policies, for help texts.
var CannedNames = []string{"ingest", "restore", "readwrite", "admin"}

// Canned returns the canned policy name scoped to the bucket patterns
// (nil means every bucket), as a parsed document, and its JSON text.
//
//   - ingest: create buckets, list, upload (single and multipart, abort
//     its own uploads), but only create-only: s3:PutObject carries the
//     condition s3:if-none-match = "*", and so does s3:PutObjectTagging
//     (tags with an upload, never on a stored object). No GET or HEAD of objects, no
//     delete, no copy out (a copy needs s3:GetObject on its source).
//   - restore: list and read (GET and HEAD, also of older versions);
//     nothing that writes.
//   - readwrite: every S3 action on the buckets and their objects.
//   - admin: everything, on every bucket, including gateway-specific
//     actions (envelopegw:GetObjectKeyIds, the key IDs on HEAD).
func Canned(name string, buckets []string) (*Policy, []byte, error) {
	if len(buckets) == 0 {
		buckets = []string{"*"}
	}
	var b, o []string
	for _, p := range buckets {
		if p == "" || strings.ContainsAny(p, "/") {
			return nil, nil, fmt.Errorf("bucket pattern %q: a bucket name with wildcards, no '/'", p)
		}
		b = append(b, BucketARN(p))
		o = append(o, ObjectARN(p, "*"))
	}
	type cond map[string]map[string]string
	type stmt struct {
		Sid       string
		Effect    string
		Action    []string
		Resource  []string
		Condition cond `json:",omitempty"`
	}
	allow := func(sid string, res []string, actions ...string) stmt {
		return stmt{Sid: sid, Effect: "Allow", Action: actions, Resource: res}
	}
	var st []stmt
	switch name {
	case "ingest":
		put := allow("CreateOnly", o, "s3:PutObject")
		put.Condition = cond{"StringEquals": {"s3:if-none-match": "*"}}
		// Tags sent with a create-only upload (x-amz-tagging) land on a
		// new object only; PutObjectTagging on stored backups is refused.
		tag := allow("TagNewObjects", o, "s3:PutObjectTagging")
		tag.Condition = cond{"StringEquals": {"s3:if-none-match": "*"}}
		st = []stmt{
			allow("Buckets", b, "s3:CreateBucket", "s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"),
			allow("Uploads", o, "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"),
			put,
			tag,
		}
	case "restore":
		st = []stmt{
			allow("ListAll", []string{"*"}, "s3:ListAllMyBuckets"),
			allow("Buckets", b, "s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketLocation",
				"s3:GetBucketVersioning", "s3:GetBucketAcl", "s3:GetBucketTagging"),
			allow("Objects", o, "s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAcl", "s3:GetObjectTagging",
				"s3:GetObjectVersionTagging", "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"),
		}
	case "readwrite":
		st = []stmt{
			allow("ListAll", []string{"*"}, "s3:ListAllMyBuckets"),
			allow("All", append(slices.Clone(b), o...), "s3:*"),
		}
	case "admin":
		if len(buckets) != 1 || buckets[0] != "*" {
			return nil, nil, fmt.Errorf("the admin policy applies to every bucket; scope readwrite instead")
		}
		st = []stmt{allow("All", []string{"*"}, "*")}
	default:
		return nil, nil, fmt.Errorf("unknown canned policy %q (want one of %s)", name, strings.Join(CannedNames, ", "))
	}
	text, err := json.MarshalIndent(map[string]any{"Version": "2012-10-17", "Statement": st}, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	p, err := Parse("canned:"+name, text)
	if err != nil {
		return nil, nil, fmt.Errorf("canned policy %s: %w", name, err)
	}
	return p, text, nil
}
