package policy

import (
	"errors"
	"testing"
)

// FuzzParse feeds arbitrary documents to the parser: it must return a
// policy or a positioned *Error, never panic, and a parsed policy must
// evaluate without panicking.
func FuzzParse(f *testing.F) {
	for _, name := range CannedNames {
		_, text, err := Canned(name, nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(text)
	}
	f.Add([]byte(`{"Statement":{"Effect":"Deny","NotAction":"s3:Get*","NotResource":"arn:aws:s3:::b/*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"},"NumericLessThan":{"s3:max-keys":"5"},"Null":{"s3:prefix":true}}}}`))
	f.Add([]byte(`{"Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["*"]},]}`))
	f.Add([]byte("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"))
	f.Fuzz(func(t *testing.T, text []byte) {
		p, err := Parse("fuzz.json", text)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Line < 1 || pe.Col < 1 {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		for _, r := range []*Request{
			{Action: "s3:GetObject", Resource: ObjectARN("b", "k"), Context: map[string]string{"s3:prefix": "a", "aws:sourceip": "10.1.1.1", "s3:max-keys": "3"}},
			{Action: "s3:ListBucket", Resource: BucketARN("b")},
		} {
			p.Evaluate(r)
		}
	})
}
