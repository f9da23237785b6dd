package s3api

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"envelopegw/s3api/auth"
)

// TestOperationTable checks that every operation has a row: a unique name,
// and for real operations an s3: action and a resource kind.
func TestOperationTable(t *testing.T) {
	seen := map[string]Operation{}
	for o := OpNone; o < numOperations; o++ {
		name := o.String()
		if name == "" {
			t.Errorf("operation %d has no name", o)
		}
		if prev, dup := seen[name]; dup {
			t.Errorf("operations %d and %d are both named %q", prev, o, name)
		}
		seen[name] = o
	}
	for _, o := range Operations() {
		if !strings.HasPrefix(o.Action(), "s3:") {
			t.Errorf("%s: action %q", o, o.Action())
		}
		if o.Resource() == ResourceNone {
			t.Errorf("%s: no resource kind", o)
		}
	}
	for _, o := range []Operation{OpNone, OpAuth, OpNotImplemented} {
		if o.Action() != "" {
			t.Errorf("pseudo-operation %s has action %q", o, o.Action())
		}
	}
	if got := Operation(200).String(); got != "-" {
		t.Errorf("out-of-range operation is %q", got)
	}
	for o, want := range map[Operation]string{
		OpHeadObject: "s3:GetObject", OpUploadPart: "s3:PutObject",
		OpCompleteMultipartUpload: "s3:PutObject", OpListObjectsV2: "s3:ListBucket",
		OpListBuckets: "s3:ListAllMyBuckets", OpListParts: "s3:ListMultipartUploadParts",
		OpDeleteBucketTagging: "s3:PutBucketTagging", OpDeleteObjectTagging: "s3:DeleteObjectTagging",
		OpGetObjectAttributes: "s3:GetObjectAttributes",
	} {
		if o.Action() != want {
			t.Errorf("%s: action %q, want %q", o, o.Action(), want)
		}
	}
}

// TestAuthFailureReasonsListed: every reason authFailureReason gives is
// in AuthFailureReasons, which metrics pre-create.
func TestAuthFailureReasonsListed(t *testing.T) {
	listed := map[string]bool{}
	for _, r := range AuthFailureReasons() {
		listed[r] = true
	}
	for _, err := range []error{auth.ErrMissing, auth.ErrInvalidAccessKeyID, auth.ErrSignatureDoesNotMatch,
		auth.ErrRequestTimeTooSkewed, auth.ErrExpired, auth.ErrUnsignedHeader, auth.ErrUnsupported,
		auth.ErrMalformed, errors.New("something else")} {
		if r := authFailureReason(fmt.Errorf("wrapped: %w", err)); !listed[r] {
			t.Errorf("%v gives reason %q, which AuthFailureReasons lacks", err, r)
		}
	}
}
