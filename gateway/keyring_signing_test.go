package gateway

import (
	"bytes"
	"testing"

	"envelopegw/envelope"
)

// signingKeyring names a signing key for one bucket.
type signingKeyring struct {
	fixedKeyring
	bucket string
	key    *envelope.SigningKey
}

func (k signingKeyring) SigningKey(bucket string) (*envelope.SigningKey, bool) {
	return k.key, bucket == k.bucket
}

func (k signingKeyring) SignerKeys() envelope.Signers {
	return envelope.Signers{k.key.Public()}
}

// recordSigner is the key ID that signed bucket/key's stored record.
func recordSigner(t *testing.T, s *Service, bucket, key string) string {
	t.Helper()
	rb, err := getBytes(statMeta(t, s, bucket, key).Meta, mRecord)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := envelope.ParseSignedRecordUnauthenticated(rb)
	if err != nil {
		t.Fatal(err)
	}
	return rec.Signer
}

// A keyring entry's signing key signs that bucket's new objects; other
// buckets keep the gateway's key. The gateway reads both; a gateway that
// trusts only its own key refuses the team's objects.
func TestKeyringChoosesSigningKey(t *testing.T) {
	e := newEnv(t)
	team, err := envelope.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	s := e.service(func(c *Config) {
		c.Keyring = signingKeyring{fixedKeyring: fixedKeyring{}, bucket: "team", key: team}
	})
	mustBucket(t, s, "team")
	mustBucket(t, s, "rest")
	put(t, s, "team", "k", []byte("team data"))
	put(t, s, "rest", "k", []byte("rest data"))
	if got := recordSigner(t, s, "team", "k"); got != team.KeyID() {
		t.Errorf("team object signed by %s, want the keyring's %s", got, team.KeyID())
	}
	if got := recordSigner(t, s, "rest", "k"); got != e.signer.KeyID() {
		t.Errorf("other object signed by %s, want the gateway's %s", got, e.signer.KeyID())
	}
	if got := readAll(t, s, "team", "k"); !bytes.Equal(got, []byte("team data")) {
		t.Errorf("team object read back as %q", got)
	}
	plain := e.service(nil)
	refused(t, plain, "team", "k", "a gateway that does not trust the team's signer")
	if got := readAll(t, plain, "rest", "k"); !bytes.Equal(got, []byte("rest data")) {
		t.Errorf("rest object read back as %q", got)
	}
}
