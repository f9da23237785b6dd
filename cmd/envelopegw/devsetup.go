package main

import (
	"fmt"
	"io"
	"path/filepath"

	"envelopegw/envelope"
)

// The development setup: `envelopegw serve` with no keys and no
// credentials generates both under <data>/.envelopegw on first start, reuses
// them afterwards, and prints how to connect. It is for trying the gateway
// out: a private key kept on the volume it protects defeats the point of
// envelope encryption, and the banner says so.

const stateDirName = ".envelopegw"

func devIdentityPath(data string) string { return filepath.Join(data, stateDirName, "dev-identity") }
func devCredentialsPath(data string) string {
	return filepath.Join(data, stateDirName, "dev-credentials")
}
func defaultStateKeyPath(data string) string {
	return filepath.Join(data, stateDirName, "state.key")
}

// ensureDevIdentity loads the development identity, generating it
// (mlkem768x25519) on first use.
func ensureDevIdentity(data string) (path string, ids []envelope.Identity, created bool, err error) {
	path = devIdentityPath(data)
	id, err := envelope.GenerateIdentity("mlkem768x25519")
	if err != nil {
		return "", nil, false, fmt.Errorf("generate development identity: %w", err)
	}
	text, err := id.MarshalText()
	if err != nil {
		return "", nil, false, fmt.Errorf("encode development identity: %w", err)
	}
	created, err = createExclusive(path, text)
	clear(text)
	if err != nil {
		return "", nil, false, fmt.Errorf("development identity %s: %w", path, err)
	}
	ids, err = loadIdentities([]string{path})
	return path, ids, created, err
}

// ensureDevCredentials loads the development credentials, generating them
// on first use.
func ensureDevCredentials(data string) (ak, sk, path string, created bool, err error) {
	path = devCredentialsPath(data)
	nak, nsk := newDevCredentials()
	line := []byte("# envelopegw development credentials: ACCESSKEY SECRETKEY\n" + nak + " " + nsk + "\n")
	created, err = createExclusive(path, line)
	clear(line)
	if err != nil {
		return "", "", "", false, fmt.Errorf("development credentials %s: %w", path, err)
	}
	c := credentials{}
	if err := loadCredentialsFile(path, c); err != nil {
		return "", "", "", false, err
	}
	if len(c) != 1 {
		return "", "", "", false, fmt.Errorf("development credentials %s: want exactly one user, found %d", path, len(c))
	}
	for k, v := range c {
		ak, sk = k, v
	}
	return ak, sk, path, created, nil
}

// devBanner tells a developer how to connect. It prints the secret key on
// purpose: these are throwaway credentials the developer needs to type.
func devBanner(w io.Writer, endpoint, ak, sk, identityPath string, tlsOn bool) {
	caFlag := ""
	if tlsOn {
		caFlag = " --no-verify-ssl"
	}
	fmt.Fprintf(w, `
envelopegw development setup — not for real backups: the private key below
lives on the same volume as the ciphertext it protects.

  endpoint     %[1]s
  access key   %[2]s
  secret key   %[3]s
  private key  %[4]s

  export AWS_ACCESS_KEY_ID=%[2]s AWS_SECRET_ACCESS_KEY=%[3]s AWS_DEFAULT_REGION=us-east-1
  aws --endpoint-url %[1]s%[5]s s3 mb s3://backups
  aws --endpoint-url %[1]s%[5]s s3 cp ./backup.xbstream s3://backups/
  aws --endpoint-url %[1]s%[5]s s3 cp s3://backups/backup.xbstream ./restored.xbstream

`, endpoint, ak, sk, identityPath, caFlag)
}
