# An independent decryptor for the x25519 path of envelope format v1, and
# the signed single files of format v2, written from FORMAT.md alone (not
# from the Go code), to check that the spec is complete.
# Usage: independent_decrypt.py IDENTITY_FILE ENVELOPE [SIGNER_FILE] > PLAINTEXT
# With SIGNER_FILE the file must be signed by it (hybrid Ed25519 + ML-DSA-65).
# Needs the Python "cryptography" package (ML-DSA from version 47 on).
import sys, hmac, hashlib, base64, struct
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives import serialization

def hkdf(ikm, salt, info, L):
    return HKDF(hashes.SHA256(), L, salt, info).derive(ikm)
def extract(salt, ikm):
    return hmac.new(salt if salt else b"\0"*32, ikm, hashlib.sha256).digest()
def expand(prk, info, L):
    return HKDFExpand(hashes.SHA256(), L, info).derive(prk)

def hpke_open_x25519(sk_bytes, enc_ct, info):
    kem_suite = b"KEM" + struct.pack(">H", 0x20)
    suite = b"HPKE" + struct.pack(">HHH", 0x20, 1, 2)
    def lext(sid, salt, label, ikm): return extract(salt, b"HPKE-v1" + sid + label + ikm)
    def lexp(sid, prk, label, info, L): return expand(prk, struct.pack(">H", L) + b"HPKE-v1" + sid + label + info, L)
    enc, ct = enc_ct[:32], enc_ct[32:]
    sk = X25519PrivateKey.from_private_bytes(sk_bytes)
    pkR = sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    dh = sk.exchange(X25519PublicKey.from_public_bytes(enc))
    shared = lexp(kem_suite, lext(kem_suite, b"", b"eae_prk", dh), b"shared_secret", enc + pkR, 32)
    ksc = b"\0" + lext(suite, b"", b"psk_id_hash", b"") + lext(suite, b"", b"info_hash", info)
    secret = lext(suite, shared, b"secret", b"")
    key = lexp(suite, secret, b"key", ksc, 32)
    nonce = lexp(suite, secret, b"base_nonce", ksc, 12)
    return AESGCM(key).decrypt(nonce, ct, None)

def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

def verify_signed(f, signer_text):
    """Checks the signed record of a v2 single file; returns the v1
    envelope before it and the record's fields."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.asymmetric.mldsa import MLDSA65PublicKey
    assert f[-8:] == b"EGWSIG\x02\x00", "not a signed file"
    n = struct.unpack(">I", f[-12:-8])[0]
    signed = f[-12-n:-12]; env = f[:-12-n]
    msg, sig = signed[:-3373], signed[-3373:]
    line = [l for l in signer_text.splitlines() if l.startswith("egw-sign-ed25519-mldsa65:")][0]
    pub = b64url(line.split(":", 1)[1].strip()); assert len(pub) == 1984
    assert msg[:8] == b"EGWREC\x02\x00"
    assert msg[8:16] == hashlib.sha256(b"ed25519-mldsa65\0" + pub).digest()[:8], "signed by another key"
    m = b"envelopegw v2 signature\0" + msg
    Ed25519PublicKey.from_public_bytes(pub[:32]).verify(sig[:64], m)
    MLDSA65PublicKey.from_public_bytes(pub[32:]).verify(sig[64:], m)
    p = 16 + 16 + 8
    bl = struct.unpack(">H", msg[p:p+2])[0]; bucket = msg[p+2:p+2+bl]; p += 2 + bl
    kl = struct.unpack(">H", msg[p:p+2])[0]; key = msg[p+2:p+2+kl]; p += 2 + kl
    size = struct.unpack(">Q", msg[p:p+8])[0]; hh, th = msg[p+8:p+40], msg[p+40:p+72]; p += 72
    cnt = struct.unpack(">I", msg[p:p+4])[0]; p += 4
    parts = [(struct.unpack(">Q", msg[p+40*i:p+40*i+8])[0], msg[p+40*i+8:p+40*i+40]) for i in range(cnt)]
    p += 40 * cnt
    for _ in range(2):
        p += 2 + struct.unpack(">H", msg[p:p+2])[0]
    p += 4 + struct.unpack(">I", msg[p:p+4])[0]
    assert p == len(msg) and bucket == b"" and key == b"" and size == sum(s for s, _ in parts)
    return env, {"header hash": hh, "table hash": th, "parts": parts}

def main(identity_text, f, signer_text=None):
    rec = None
    if signer_text is not None:
        f, rec = verify_signed(f, signer_text)
    b64 = identity_text.split("EGW-SECRET-X25519:")[1].strip()
    sk = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
    pkR = X25519PrivateKey.from_private_bytes(sk).public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    my_id = hashlib.sha256(b"x25519\0" + pkR).digest()[:8]
    assert f[:6] == b"EGWENV" and f[6] == 1 and f[7] == 1
    S = struct.unpack(">I", f[8:12])[0]; hsalt = f[12:28]; c = f[28]; p = 29
    stanzas = []
    for _ in range(c):
        t = f[p]; typ = f[p+1:p+1+t]; kid = f[p+1+t:p+9+t]; bl = struct.unpack(">H", f[p+9+t:p+11+t])[0]
        body = f[p+11+t:p+11+t+bl]; stanzas.append((typ, kid, body)); p += 11 + t + bl
    commit, mac = f[p:p+32], f[p+32:p+64]; hdr_end = p + 64
    if rec is not None:
        assert hashlib.sha256(f[:hdr_end]).digest() == rec["header hash"]
    dk = None
    for typ, kid, body in stanzas:
        if typ == b"x25519" and kid == my_id:
            dk = hpke_open_x25519(sk, body, b"envelopegw v1 wrap x25519\0" + kid)
    assert dk is not None and len(dk) == 32
    assert hmac.compare_digest(hkdf(dk, hsalt, b"envelopegw v1 key commitment", 32), commit)
    assert hmac.compare_digest(hmac.new(hkdf(dk, hsalt, b"envelopegw v1 header mac", 32), f[:p+32], hashlib.sha256).digest(), mac)
    tl = struct.unpack(">I", f[-12:-8])[0]; assert f[-8:] == b"EGWEND\x01\x00"
    tb = f[-12-tl:-12]
    if rec is not None:
        assert hashlib.sha256(tb).digest() == rec["table hash"]
        body = f[hdr_end:len(f)-12-tl]; q = 0
        for psize, digest in rec["parts"]:
            L = 16 + psize + 16 * max(1, -(-psize // S))
            assert hashlib.sha256(body[q:q+L]).digest() == digest; q += L
        assert q == len(body)
    assert tb[:8] == b"EGWTBL\x01\x00"
    assert hmac.compare_digest(hmac.new(hkdf(dk, hsalt, b"envelopegw v1 table mac", 32), tb[:-32], hashlib.sha256).digest(), tb[-32:])
    n = struct.unpack(">I", tb[8:12])[0]
    out = []; q = hdr_end
    for i in range(n):
        e = tb[12+28*i:40+28*i]; num = struct.unpack(">I", e[:4])[0]; salt = e[4:20]; size = struct.unpack(">Q", e[20:28])[0]
        assert f[q:q+16] == salt; q += 16
        aead = AESGCM(hkdf(dk, salt, b"envelopegw v1 part key" + struct.pack(">I", num), 32))
        m = max(1, -(-size // S))
        for j in range(m):
            L = S if j < m - 1 else size - S * (m - 1)
            nonce = j.to_bytes(11, "big") + (b"\x01" if j == m - 1 else b"\x00")
            out.append(aead.decrypt(nonce, f[q:q+L+16], None)); q += L + 16
    assert q == len(f) - 12 - tl
    return b"".join(out)

if __name__ == "__main__":
    signer = open(sys.argv[3]).read() if len(sys.argv) > 3 else None
    sys.stdout.buffer.write(main(open(sys.argv[1]).read(), open(sys.argv[2], "rb").read(), signer))
