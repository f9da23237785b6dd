package s3api

import (
	"context"
	"io"
	"net/http"
	"testing"
)

// declaredService records what the PutObject body says the client
// declared, and reads it whole.
type declaredService struct {
	fakeService
	got  []string
	sums []Sums
}

func (d *declaredService) PutObject(ctx context.Context, in *PutObjectInput) (*PutObjectOutput, error) {
	cd, ok := in.Body.(ChecksumDeclarer)
	if !ok {
		d.got = append(d.got, "(not a ChecksumDeclarer)")
	} else {
		d.got = append(d.got, cd.DeclaredChecksum())
	}
	if _, err := io.Copy(io.Discard, in.Body); err != nil {
		return nil, err
	}
	d.sums = append(d.sums, in.Body.Sums())
	return &PutObjectOutput{ETag: "e"}, nil
}

// TestDeclaredChecksum: the body names the algorithm the client declared
// by header or by x-amz-sdk-checksum-algorithm, "" with none, and that
// algorithm's verified value is in its Sums (the gateway relies on both
// to skip its own default checksum).
func TestDeclaredChecksum(t *testing.T) {
	svc := &declaredService{}
	e := newEnv(t, func(c *Config) { c.Service = svc })
	body := []byte("hello, checksums")
	cases := []struct {
		header map[string]string
		want   string
	}{
		{nil, ""},
		{map[string]string{"x-amz-checksum-crc32": crc32b64(body)}, ChecksumCRC32},
		{map[string]string{"x-amz-sdk-checksum-algorithm": "CRC64NVME"}, ChecksumCRC64NVME},
	}
	for i, c := range cases {
		w, _ := e.do(req{method: "PUT", target: "/bkt/k", body: body, header: c.header})
		if w.Code != http.StatusOK {
			t.Fatalf("case %d: %d %s", i, w.Code, w.Body)
		}
		if svc.got[i] != c.want {
			t.Errorf("case %d: DeclaredChecksum %q, want %q", i, svc.got[i], c.want)
		}
		if v := svc.sums[i].Checksums[c.want]; c.want != "" && v == "" {
			t.Errorf("case %d: Sums has no %s after the body was read: %+v", i, c.want, svc.sums[i])
		}
	}
}
