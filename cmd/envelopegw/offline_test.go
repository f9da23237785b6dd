package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"envelopegw/envelope"
)

// offlineRun calls a subcommand in-process with the given stdin and
// returns stdout, stderr and its error.
func offlineRun(t *testing.T, stdin []byte, cmd func([]string, stdio) error, args ...string) ([]byte, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := cmd(args, stdio{in: bytes.NewReader(stdin), out: &out, err: &errb})
	return out.Bytes(), errb.String(), err
}

func mustRun(t *testing.T, cmd func([]string, stdio) error, args ...string) []byte {
	t.Helper()
	out, stderr, err := offlineRun(t, nil, cmd, args...)
	if err != nil {
		t.Fatalf("%v: %v (stderr %q)", args, err, stderr)
	}
	return out
}

func TestKeygen(t *testing.T) {
	dir := t.TempDir()
	for _, kind := range []string{"mlkem768x25519", "x25519", "rsa"} {
		p := filepath.Join(dir, kind+".key")
		mustRun(t, cmdKeygen, "-t", kind, "-o", p)
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: identity mode %v", kind, st.Mode())
		}
		pub, err := os.ReadFile(p + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		// -y derives the same recipient.
		if y := mustRun(t, cmdKeygen, "-y", p); !bytes.Equal(y, pub) {
			t.Fatalf("%s: keygen -y %q, .pub %q", kind, y, pub)
		}
		if _, _, err := offlineRun(t, nil, cmdKeygen, "-t", kind, "-o", p); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
			t.Fatalf("%s: overwrite: %v", kind, err)
		}
	}
	out, stderr, err := offlineRun(t, nil, cmdKeygen, "-t", "x25519")
	if err != nil {
		t.Fatal(err)
	}
	ids, err := envelope.ParseIdentities(bytes.NewReader(out))
	if err != nil || len(ids) != 1 {
		t.Fatalf("stdout identity: %v", err)
	}
	if strings.TrimSpace(stderr) != ids[0].Recipient().String() {
		t.Fatalf("stderr %q is not the recipient", stderr)
	}
	if _, _, err := offlineRun(t, nil, cmdKeygen, "-t", "dsa"); err == nil {
		t.Fatal("unknown type accepted")
	}
}

// acceptanceSize is 8 MiB by default; ENVELOPEGW_ACCEPT_MIB=100 runs the
// full acceptance size.
func acceptanceSize(t *testing.T) int {
	if v := os.Getenv("ENVELOPEGW_ACCEPT_MIB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatal(err)
		}
		return n << 20
	}
	return 8 << 20
}

func TestOfflineAcceptance(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	mustRun(t, cmdKeygen, "-o", p("pq.key"))
	mustRun(t, cmdKeygen, "-t", "rsa", "-o", p("rsa.key"))
	plain := make([]byte, acceptanceSize(t))
	rand.Read(plain)
	if err := os.WriteFile(p("plain"), plain, 0o600); err != nil {
		t.Fatal(err)
	}
	rsaPub, _ := os.ReadFile(p("rsa.key.pub"))
	// One recipient by file, one by string.
	mustRun(t, cmdEncrypt, "-r", p("pq.key.pub"), "-r", strings.TrimSpace(string(rsaPub)), "-o", p("env"), p("plain"))
	env, err := os.ReadFile(p("env"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := envelope.ReadFileLayout(bytes.NewReader(env), int64(len(env)))
	if err != nil {
		t.Fatal(err)
	}
	overhead := len(env) - len(plain) - int(l.HeaderSize)
	if limit := len(plain) / 1000; overhead > limit {
		t.Fatalf("overhead %d bytes beyond the header, limit %d (0.1%%)", overhead, limit)
	}
	t.Logf("%d bytes: header %d, other overhead %d (%.4f%%)", len(plain), l.HeaderSize, overhead, 100*float64(overhead)/float64(len(plain)))

	for _, id := range []string{"pq.key", "rsa.key"} {
		out := p("out-" + id)
		mustRun(t, cmdDecrypt, "-i", p(id), "-o", out, p("env"))
		got, err := os.ReadFile(out)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("decrypt with %s: not byte-identical (%v)", id, err)
		}
	}
	// The stdin/stdout path.
	got, stderr, err := offlineRun(t, env, cmdDecrypt, "-i", p("rsa.key"))
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("decrypt from stdin: %v %s", err, stderr)
	}

	info := string(mustRun(t, cmdInspect, p("env")))
	for _, id := range []string{"pq.key", "rsa.key"} {
		ids, _ := cliIdentities([]string{p(id)})
		if !strings.Contains(info, ids[0].KeyID()) || !strings.Contains(info, ids[0].Type()) {
			t.Fatalf("inspect does not list %s %s:\n%s", ids[0].Type(), ids[0].KeyID(), info)
		}
	}
	if !strings.Contains(info, fmt.Sprintf("plaintext size: %d", len(plain))) {
		t.Fatalf("inspect: %s", info)
	}
	if stdinInfo, _, err := offlineRun(t, env, cmdInspect); err != nil || string(stdinInfo) != info {
		t.Fatalf("inspect from stdin differs: %v\n%s", err, stdinInfo)
	}

	flipPositions(t, env, l, dir)
	rewrapAcceptance(t, dir, env, plain)
}

// flipPositions flips one byte at every region boundary and at 200 random
// positions; each decrypt must fail, leave nothing at OUT and no
// temporary file.
func flipPositions(t *testing.T, env []byte, l *envelope.FileLayout, dir string) {
	hs, to, n := int(l.HeaderSize), int(l.TableOffset), len(env)
	seg := l.Header.SegmentSize() + 16
	pos := []int{0, 5, 6, 7, 8, 11, 12, 27, 28, 29, hs - 65, hs - 64, hs - 33, hs - 32, hs - 1,
		hs, hs + 15, hs + 16, hs + 16 + seg - 17, hs + 16 + seg - 16, hs + 16 + seg - 1, hs + 16 + seg,
		to - 17, to - 16, to - 1, to, to + 11, to + 12, n - 45, n - 13, n - 12, n - 9, n - 8, n - 1}
	rng := mrand.New(mrand.NewPCG(7, 7))
	for range 200 {
		pos = append(pos, rng.IntN(n))
	}
	// Spread the random ones evenly across the body too.
	for i := 1; i < 20; i++ {
		pos = append(pos, hs+(to-hs)*i/20)
	}
	bad := filepath.Join(dir, "bad")
	out := filepath.Join(dir, "bad-out")
	for i, p := range pos {
		e := bytes.Clone(env)
		e[p] ^= byte(1 << (i % 8))
		if err := os.WriteFile(bad, e, 0o600); err != nil {
			t.Fatal(err)
		}
		id := filepath.Join(dir, "pq.key")
		if i%25 == 0 {
			id = filepath.Join(dir, "rsa.key")
		}
		_, stderr, err := offlineRun(t, nil, cmdDecrypt, "-i", id, "-o", out, bad)
		if err == nil {
			t.Fatalf("flipped byte %d of %d: decrypt succeeded", p, n)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Fatalf("error is not one line: %q", err)
		}
		if _, serr := os.Stat(out); !errors.Is(serr, os.ErrNotExist) {
			t.Fatalf("flipped byte %d: %s exists after a failed decrypt (%v)", p, out, stderr)
		}
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Fatalf("temporary file %s left behind", e.Name())
		}
	}
}

func rewrapAcceptance(t *testing.T, dir string, env, plain []byte) {
	p := func(name string) string { return filepath.Join(dir, name) }
	mustRun(t, cmdKeygen, "-t", "x25519", "-o", p("x.key"))
	rsaIDs, _ := cliIdentities([]string{p("rsa.key")})
	mustRun(t, cmdRewrap, "-i", p("pq.key"), "-r", p("x.key.pub"), "--remove", rsaIDs[0].KeyID(), p("env"))
	after, err := os.ReadFile(p("env"))
	if err != nil {
		t.Fatal(err)
	}
	l0, _ := envelope.ReadFileLayout(bytes.NewReader(env), int64(len(env)))
	l1, err := envelope.ReadFileLayout(bytes.NewReader(after), int64(len(after)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(env[l0.HeaderSize:], after[l1.HeaderSize:]) {
		t.Fatal("rewrap changed bytes after the header")
	}
	_, _, err = offlineRun(t, nil, cmdDecrypt, "-i", p("rsa.key"), "-o", p("r-out"), p("env"))
	if !errors.Is(err, envelope.ErrNoIdentity) {
		t.Fatalf("removed rsa identity: %v", err)
	}
	for _, id := range []string{"x.key", "pq.key"} {
		mustRun(t, cmdDecrypt, "-i", p(id), "-o", p("x-out"), p("env"))
		got, _ := os.ReadFile(p("x-out"))
		if !bytes.Equal(got, plain) {
			t.Fatalf("after rewrap, %s: wrong plaintext", id)
		}
	}
	if _, _, err := offlineRun(t, nil, cmdRewrap, "-i", p("pq.key"), "--remove", "0000000000000000", p("env")); err == nil {
		t.Fatal("removing an unknown key ID succeeded")
	}
	if _, _, err := offlineRun(t, nil, cmdRewrap, "-i", p("rsa.key"), "-r", p("x.key.pub"), p("env")); !errors.Is(err, envelope.ErrNoIdentity) {
		t.Fatalf("rewrap with a removed identity: %v", err)
	}
}

func TestEncryptStdinStdout(t *testing.T) {
	dir := t.TempDir()
	id := filepath.Join(dir, "k")
	mustRun(t, cmdKeygen, "-t", "x25519", "-o", id)
	for _, n := range []int{0, 1, 65535, 65536, 65537, 3 << 20} {
		plain := make([]byte, n)
		rand.Read(plain)
		env, _, err := offlineRun(t, plain, cmdEncrypt, "-R", id+".pub")
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := offlineRun(t, env, cmdDecrypt, "-i", id)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%d bytes through pipes: %v", n, err)
		}
		// A stream cut short fails; the output never ends cleanly.
		if _, _, err := offlineRun(t, env[:len(env)-1], cmdDecrypt, "-i", id); err == nil {
			t.Fatalf("%d bytes: truncated stream decrypted", n)
		}
	}
	if _, _, err := offlineRun(t, nil, cmdEncrypt); err == nil {
		t.Fatal("encrypt without recipients succeeded")
	}
	var out, errb bytes.Buffer
	err := cmdEncrypt([]string{"-R", id + ".pub"}, stdio{in: bytes.NewReader(nil), out: &out, err: &errb, outTTY: true})
	if err == nil {
		t.Fatal("wrote an envelope to a terminal")
	}
}

func TestProgressSilentWithoutTerminal(t *testing.T) {
	dir := t.TempDir()
	id := filepath.Join(dir, "k")
	mustRun(t, cmdKeygen, "-t", "x25519", "-o", id)
	_, stderr, err := offlineRun(t, make([]byte, 1<<20), cmdEncrypt, "-R", id+".pub")
	if err != nil || stderr != "" {
		t.Fatalf("stderr %q, err %v", stderr, err)
	}
	var b bytes.Buffer
	p := &progressBar{out: &b, label: "encrypt", total: 1 << 30}
	p.n.Store(1 << 29)
	p.draw()
	if !strings.Contains(b.String(), " 50% ") || !strings.Contains(b.String(), "512.0 MiB / 1.0 GiB") {
		t.Fatalf("progress line %q", b.String())
	}
}
