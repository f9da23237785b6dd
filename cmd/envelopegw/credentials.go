package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"fmt"
	"sort"
	"strings"
)

// credentials maps access keys to secret keys; it implements
// auth.Credentials. Access keys are public names, so a map lookup is fine;
// secrets are compared by the signature check, in constant time.
type credentials map[string]string

func (c credentials) SecretKey(accessKey string) (string, bool) {
	s, ok := c[accessKey]
	return s, ok
}

// accessKeys lists the access keys, sorted, for the startup log.
func (c credentials) accessKeys() []string {
	ks := make([]string, 0, len(c))
	for k := range c {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func (c credentials) add(ak, sk, where string) error {
	if err := checkCredential(ak, sk); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if _, dup := c[ak]; dup {
		return fmt.Errorf("%s: access key %s is defined twice", where, ak)
	}
	c[ak] = sk
	return nil
}

func checkCredential(ak, sk string) error {
	if len(ak) < 3 || len(ak) > 128 || strings.ContainsFunc(ak, badCredRune) {
		return fmt.Errorf("access key %q must be 3 to 128 printable characters without spaces, ':' or '/'", ak)
	}
	if len(sk) < 8 || len(sk) > 128 || strings.ContainsFunc(sk, badCredRune) {
		return fmt.Errorf("the secret key of %s must be 8 to 128 printable characters without spaces, ':' or '/'", ak)
	}
	return nil
}

// badCredRune rejects what would break a SigV4 credential scope or a SigV2
// Authorization header, and anything invisible.
func badCredRune(r rune) bool {
	return r <= ' ' || r >= 0x7f || r == ':' || r == '/'
}

// loadCredentialsFile reads a credentials file: one "ACCESSKEY SECRETKEY"
// pair per line, blank lines and "#" comments ignored. The file must not be
// readable by other users.
func loadCredentialsFile(path string, into credentials) error {
	b, err := readPrivateFile(path)
	if err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	return parseCredentials(b, path, into)
}

func parseCredentials(b []byte, name string, into credentials) error {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		f := strings.Fields(t)
		if len(f) != 2 {
			// Never echo the line: it may hold a secret.
			return fmt.Errorf("%s:%d: want \"ACCESSKEY SECRETKEY\"", name, line)
		}
		if err := into.add(f[0], f[1], fmt.Sprintf("%s:%d", name, line)); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// newDevCredentials makes a random access key and secret key.
func newDevCredentials() (ak, sk string) {
	return "EGWDEV" + rand.Text()[:14], rand.Text() + rand.Text()[:14]
}
