package testharness

import (
	"encoding/json"
	"testing"
)

// TestBoto3GetObjectAttributes drives GetObjectAttributes with boto3: a
// single PUT with the checksum boto3 sends, and a multipart object with
// SHA256 part checksums listed a page at a time, compared with what the
// uploads answered. The script prints its findings; the Go side compares.
func TestBoto3GetObjectAttributes(t *testing.T) {
	t.Parallel()
	g := Start(t, Options{NoFsync: true})
	out := Boto3(t, g, `
b = "boto-attrs"
s3.create_bucket(Bucket=b)
res = {}
ALL = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]
put = s3.put_object(Bucket=b, Key="small", Body=b"hello attributes", ChecksumAlgorithm="SHA1")
a = s3.get_object_attributes(Bucket=b, Key="small", ObjectAttributes=ALL)
res["small"] = [a["ETag"] == put["ETag"].strip('"'), a["Checksum"].get("ChecksumSHA1") == put["ChecksumSHA1"],
                a["Checksum"].get("ChecksumType"), a["ObjectSize"], a["StorageClass"], "ObjectParts" in a,
                "LastModified" in a]

mp = s3.create_multipart_upload(Bucket=b, Key="big", ChecksumAlgorithm="SHA256")
parts, sizes = [], [5 * 1024 * 1024, 5 * 1024 * 1024, 10]
for i, n in enumerate(sizes):
    r = s3.upload_part(Bucket=b, Key="big", UploadId=mp["UploadId"], PartNumber=i + 1,
                       Body=bytes([65 + i]) * n, ChecksumAlgorithm="SHA256")
    parts.append({"PartNumber": i + 1, "ETag": r["ETag"], "ChecksumSHA256": r["ChecksumSHA256"]})
done = s3.complete_multipart_upload(Bucket=b, Key="big", UploadId=mp["UploadId"], MultipartUpload={"Parts": parts})
seen, marker, pages = [], 0, 0
while True:
    a = s3.get_object_attributes(Bucket=b, Key="big", ObjectAttributes=["ObjectParts", "Checksum"], MaxParts=1, PartNumberMarker=marker)
    op = a["ObjectParts"]
    pages += 1
    seen += [[p["PartNumber"], p["Size"], p["ChecksumSHA256"]] for p in op.get("Parts", [])]
    if not op.get("IsTruncated"):
        break
    marker = op["NextPartNumberMarker"]
res["big"] = [pages, op["TotalPartsCount"], seen == [[p["PartNumber"], n, p["ChecksumSHA256"]] for p, n in zip(parts, sizes)],
              a["Checksum"].get("ChecksumSHA256") == done["ChecksumSHA256"], a["Checksum"].get("ChecksumType")]
try:
    s3.get_object_attributes(Bucket=b, Key="nothing", ObjectAttributes=ALL)
    res["missing"] = "ok"
except botocore.exceptions.ClientError as e:
    res["missing"] = "%d %s" % (e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"])
print(json.dumps(res))
`)
	var got struct {
		Small, Big []any
		Missing    string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("boto3 output %q: %v", out, err)
	}
	if b, _ := json.Marshal(got.Small); string(b) != `[true,true,"FULL_OBJECT",16,"STANDARD",false,true]` {
		t.Errorf("single-part attributes %s", b)
	}
	if b, _ := json.Marshal(got.Big); string(b) != `[3,3,true,true,"COMPOSITE"]` {
		t.Errorf("multipart attributes [pages, count, parts match, checksum match, type] %s", b)
	}
	if got.Missing != "404 NoSuchKey" {
		t.Errorf("missing key: %s", got.Missing)
	}
}
