package main

import (
	"context"
	"flag"
	"fmt"

	"envelopegw/backend/s3"
)

// upstreamConfig selects the upstream-S3 backend instead of the POSIX
// volume: --upstream URL, with the credentials from the environment only
// (ENVELOPEGW_UPSTREAM_ACCESS_KEY, ENVELOPEGW_UPSTREAM_SECRET_KEY), so
// they never show in a process listing.
type upstreamConfig struct {
	url, region, style, ca string
	accessKey, secretKey   string
}

func addUpstreamFlags(fs *flag.FlagSet, c *upstreamConfig) {
	fs.StringVar(&c.url, "upstream", "", "store ciphertext on an upstream S3 service instead of --data: `URL` http(s)://host[:port]/bucket[/prefix] of a pre-created bucket; keys from "+envPrefix+"UPSTREAM_ACCESS_KEY and "+envPrefix+"UPSTREAM_SECRET_KEY")
	fs.StringVar(&c.region, "upstream-region", "", "`region` of the upstream bucket (default: discovered)")
	fs.StringVar(&c.style, "upstream-style", "auto", "upstream addressing `style`: path, virtual or auto")
	fs.StringVar(&c.ca, "upstream-ca", "", "PEM `file` of CAs to trust for an https upstream, besides the system's")
}

// fromEnv reads the upstream credentials.
func (c *upstreamConfig) fromEnv(getenv func(string) string) {
	c.accessKey, c.secretKey = getenv(envPrefix+"UPSTREAM_ACCESS_KEY"), getenv(envPrefix+"UPSTREAM_SECRET_KEY")
}

func (c *upstreamConfig) check() error {
	if c.url == "" {
		return nil
	}
	if c.accessKey == "" || c.secretKey == "" {
		return fmt.Errorf("--upstream needs %sUPSTREAM_ACCESS_KEY and %sUPSTREAM_SECRET_KEY", envPrefix, envPrefix)
	}
	return nil
}

// dial connects to the upstream and proves the credentials work.
func (c *upstreamConfig) dial(ctx context.Context) (*s3.Backend, error) {
	return s3.Dial(ctx, s3.Upstream{URL: c.url, AccessKey: c.accessKey, SecretKey: c.secretKey, Region: c.region, Style: c.style, CAFile: c.ca})
}
