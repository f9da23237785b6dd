package testharness

// upstreamArgs are the serve flags of a gateway on Options.Upstream.
func (g *Gateway) upstreamArgs() []string {
	if g.opts.Upstream == nil {
		return nil
	}
	return []string{"--upstream", g.UpstreamURL(), "--upstream-style", "path"}
}

// UpstreamURL is the --upstream URL of a gateway on Options.Upstream
// (bucket and the gateway's prefix), "" otherwise.
func (g *Gateway) UpstreamURL() string {
	if g.opts.Upstream == nil {
		return ""
	}
	return g.opts.Upstream.URL() + "/" + g.opts.Upstream.Bucket + "/" + g.UpstreamPrefix
}

// UpstreamEnv is the environment that carries the upstream credentials
// to serve and to the offline tools (cat, scrub, inventory).
func (g *Gateway) UpstreamEnv() []string {
	if g.opts.Upstream == nil {
		return nil
	}
	return []string{"ENVELOPEGW_UPSTREAM_ACCESS_KEY=" + g.opts.Upstream.AccessKey, "ENVELOPEGW_UPSTREAM_SECRET_KEY=" + g.opts.Upstream.SecretKey}
}
