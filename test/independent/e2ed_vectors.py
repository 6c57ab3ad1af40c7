#!/usr/bin/env python3
"""An independent implementation of the E2ED key schedule and record protection, written from
the protocol brief alone (Python standard library only: no code shared with the TypeScript core).
It recomputes vectors/expand-label.json, vectors/key-schedule.json and vectors/record.json by their
field names and prints one line per disagreement, then a summary line. Exit status 1 on any
disagreement.

AES-256 (FIPS 197), GCM (SP 800-38D), ChaCha20 and Poly1305 (RFC 8439) are implemented here in
plain Python so that the check shares nothing with OpenSSL either."""
import hashlib
import hmac
import json
import re
import struct
import sys

# ---------------------------------------------------------------- HKDF and the key schedule


def hkdf_extract(salt, ikm):
    return hmac.new(salt or bytes(32), ikm, hashlib.sha256).digest()


def hkdf_expand(prk, info, length):
    if length > 255 * 32:
        raise ValueError("too long")
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


def expand_label(secret, label, context, length):
    full = b"e2ed " + label.encode("ascii")
    if len(full) > 255 or len(context) > 255 or length > 0xFFFF:
        raise ValueError("label, context or length out of range")
    info = struct.pack(">H", length) + bytes([len(full)]) + full + bytes([len(context)]) + context
    return hkdf_expand(secret, info, length)


def finished_value_in(frame):
    text = frame[5:].decode("utf-8")
    m = re.search(r"<Finished[^>]*>([0-9a-f]{64})</Finished>", text)
    if not m:
        raise ValueError("no Finished value in frame")
    return bytes.fromhex(m.group(1))


def key_schedule(t):
    h = lambda k: bytes.fromhex(t[k])
    hs = hkdf_extract(h("nonceI") + h("nonceR"), h("z"))
    fk_r = expand_label(hs, "r finished", b"", 32)
    fk_i = expand_label(hs, "i finished", b"", 32)
    th = lambda names: hashlib.sha256(b"".join(h(n) for n in names)).digest()
    fin_r_ok = hmac.compare_digest(hmac.new(fk_r, th(["helloI", "helloR", "certVerifyR"]), hashlib.sha256).digest(), finished_value_in(h("finishedR")))
    fin_i_ok = hmac.compare_digest(
        hmac.new(fk_i, th(["helloI", "helloR", "certVerifyR", "finishedR", "certVerifyI"]), hashlib.sha256).digest(), finished_value_in(h("finishedI"))
    )
    ms = expand_label(hs, "master", th(["helloI", "helloR", "certVerifyR", "finishedR", "certVerifyI", "finishedI"]), 32)
    i2r = expand_label(ms, "i2r traffic", b"", 32)
    r2i = expand_label(ms, "r2i traffic", b"", 32)
    derived = {
        "handshakeSecret": hs,
        "finishedKeyI": fk_i,
        "finishedKeyR": fk_r,
        "masterSecret": ms,
        "i2rSecret": i2r,
        "r2iSecret": r2i,
        "i2rKey": expand_label(i2r, "key", b"", 32),
        "i2rIv": expand_label(i2r, "iv", b"", 12),
        "r2iKey": expand_label(r2i, "key", b"", 32),
        "r2iIv": expand_label(r2i, "iv", b"", 12),
        "exporter": expand_label(ms, "exporter", b"", 32),
        "i2rSecretUpdated": expand_label(i2r, "update", b"", 32),
    }
    return derived, fin_r_ok and fin_i_ok


# ---------------------------------------------------------------- AES-256 (FIPS 197)

SBOX = [0] * 256


def _init_sbox():
    p = q = 1
    while True:
        p = p ^ ((p << 1) & 0xFF) ^ (0x1B if p & 0x80 else 0)
        q ^= q << 1
        q ^= q << 2
        q ^= q << 4
        q &= 0xFF
        if q & 0x80:
            q ^= 0x09
        x = q ^ ((q << 1) | (q >> 7)) & 0xFF ^ ((q << 2) | (q >> 6)) & 0xFF ^ ((q << 3) | (q >> 5)) & 0xFF ^ ((q << 4) | (q >> 4)) & 0xFF
        SBOX[p] = (x ^ 0x63) & 0xFF
        if p == 1:
            break
    SBOX[0] = 0x63


_init_sbox()


def xtime(a):
    return ((a << 1) ^ 0x1B) & 0xFF if a & 0x80 else a << 1


def aes256_expand(key):
    nk, nr = 8, 14
    w = [list(key[4 * i : 4 * i + 4]) for i in range(nk)]
    rcon = 1
    for i in range(nk, 4 * (nr + 1)):
        t = list(w[i - 1])
        if i % nk == 0:
            t = t[1:] + t[:1]
            t = [SBOX[b] for b in t]
            t[0] ^= rcon
            rcon = xtime(rcon)
        elif i % nk == 4:
            t = [SBOX[b] for b in t]
        w.append([w[i - nk][j] ^ t[j] for j in range(4)])
    return [sum((w[4 * r + c] for c in range(4)), []) for r in range(nr + 1)]


def aes256_encrypt_block(round_keys, block):
    s = [b ^ k for b, k in zip(block, round_keys[0])]
    for r in range(1, 15):
        s = [SBOX[b] for b in s]
        s = [s[(i + 4 * (i % 4)) % 16] for i in range(16)]  # ShiftRows on column-major state
        if r != 14:
            out = []
            for c in range(4):
                a = s[4 * c : 4 * c + 4]
                x = a[0] ^ a[1] ^ a[2] ^ a[3]
                out += [a[i] ^ x ^ xtime(a[i] ^ a[(i + 1) % 4]) for i in range(4)]
            s = out
        s = [b ^ k for b, k in zip(s, round_keys[r])]
    return bytes(s)


# ---------------------------------------------------------------- GCM (SP 800-38D), 96-bit IV


def gf_mult(x, y):
    r = 0xE1 << 120
    z, v = 0, y
    for i in range(127, -1, -1):
        if (x >> i) & 1:
            z ^= v
        v = (v >> 1) ^ r if v & 1 else v >> 1
    return z


def ghash(h, aad, ct):
    def blocks(data):
        data = data + bytes(-len(data) % 16)
        return [int.from_bytes(data[i : i + 16], "big") for i in range(0, len(data), 16)]

    y = 0
    for b in blocks(aad) + blocks(ct) + [(len(aad) * 8 << 64) | (len(ct) * 8)]:
        y = gf_mult(y ^ b, h)
    return y


def aes_gcm_open(key, nonce, aad, sealed):
    if len(sealed) < 16:
        return None
    ct, tag = sealed[:-16], sealed[-16:]
    rk = aes256_expand(key)
    h = int.from_bytes(aes256_encrypt_block(rk, bytes(16)), "big")
    j0 = nonce + b"\x00\x00\x00\x01"
    s = ghash(h, aad, ct)
    expected = (int.from_bytes(aes256_encrypt_block(rk, j0), "big") ^ s).to_bytes(16, "big")
    if not hmac.compare_digest(expected, tag):
        return None
    out = bytearray()
    for i in range(0, len(ct), 16):
        ks = aes256_encrypt_block(rk, nonce + struct.pack(">I", 2 + i // 16))
        out += bytes(a ^ b for a, b in zip(ct[i : i + 16], ks))
    return bytes(out)


# ---------------------------------------------------------------- ChaCha20-Poly1305 (RFC 8439)


def _rotl(v, c):
    return ((v << c) & 0xFFFFFFFF) | (v >> (32 - c))


def chacha20_block(key, counter, nonce):
    c = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    st = c + list(struct.unpack("<8I", key)) + [counter] + list(struct.unpack("<3I", nonce))
    x = list(st)

    def qr(a, b, c_, d):
        x[a] = (x[a] + x[b]) & 0xFFFFFFFF; x[d] = _rotl(x[d] ^ x[a], 16)
        x[c_] = (x[c_] + x[d]) & 0xFFFFFFFF; x[b] = _rotl(x[b] ^ x[c_], 12)
        x[a] = (x[a] + x[b]) & 0xFFFFFFFF; x[d] = _rotl(x[d] ^ x[a], 8)
        x[c_] = (x[c_] + x[d]) & 0xFFFFFFFF; x[b] = _rotl(x[b] ^ x[c_], 7)

    for _ in range(10):
        qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
        qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
    return struct.pack("<16I", *[(a + b) & 0xFFFFFFFF for a, b in zip(x, st)])


def poly1305(key, msg):
    r = int.from_bytes(key[:16], "little") & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    s = int.from_bytes(key[16:], "little")
    p, acc = (1 << 130) - 5, 0
    for i in range(0, len(msg), 16):
        n = int.from_bytes(msg[i : i + 16] + b"\x01", "little")
        acc = ((acc + n) * r) % p
    return ((acc + s) & ((1 << 128) - 1)).to_bytes(16, "little")


def chacha_open(key, nonce, aad, sealed):
    if len(sealed) < 16:
        return None
    ct, tag = sealed[:-16], sealed[-16:]
    otk = chacha20_block(key, 0, nonce)[:32]
    pad = lambda d: d + bytes(-len(d) % 16)
    mac_data = pad(aad) + pad(ct) + struct.pack("<QQ", len(aad), len(ct))
    if not hmac.compare_digest(poly1305(otk, mac_data), tag):
        return None
    out = bytearray()
    for i in range(0, len(ct), 64):
        ks = chacha20_block(key, 1 + i // 64, nonce)
        out += bytes(a ^ b for a, b in zip(ct[i : i + 64], ks))
    return bytes(out)


# ---------------------------------------------------------------- records


def open_record(cipher, key, iv, seq, frame):
    if len(frame) < 5:
        return None
    length, ftype = struct.unpack(">IB", frame[:5])
    if ftype != 0x02 or length != len(frame) - 4:
        return None
    nonce = bytes(a ^ b for a, b in zip(iv, bytes(4) + struct.pack(">Q", seq)))
    opener = aes_gcm_open if cipher == "AES-256-GCM" else chacha_open if cipher == "CHACHA20-POLY1305" else None
    if opener is None:
        return None
    return opener(key, nonce, frame[:5], frame[5:])


# ---------------------------------------------------------------- self-tests from the RFCs


def self_test():
    # RFC 5869 A.1
    prk = hkdf_extract(bytes.fromhex("000102030405060708090a0b0c"), bytes.fromhex("0b" * 22))
    assert hkdf_expand(prk, bytes.fromhex("f0f1f2f3f4f5f6f7f8f9"), 42).hex().startswith("3cb25f25faacd57a90434f64d0362f2a"), "HKDF"
    # FIPS 197 C.3
    assert aes256_encrypt_block(aes256_expand(bytes(range(32))), bytes.fromhex("00112233445566778899aabbccddeeff")).hex() == "8ea2b7ca516745bfeafc49904b496089", "AES-256"
    # RFC 8439 2.5.2
    assert poly1305(bytes.fromhex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b"), b"Cryptographic Forum Research Group").hex() == "a8061dc1305136c6c22b8baf0c0127a9", "Poly1305"


def main(vector_dir):
    self_test()
    disagreements, checked = [], 0

    def load(name):
        with open(f"{vector_dir}/{name}", encoding="utf-8") as f:
            return json.load(f)

    for group in load("expand-label.json")["testGroups"]:
        for t in group["tests"]:
            checked += 1
            try:
                okm = expand_label(bytes.fromhex(t["secret"]), t["label"], bytes.fromhex(t["context"]), t["length"]).hex()
            except ValueError:
                okm = None
            ok = (okm == t["okm"]) if t["result"] == "valid" else okm is None
            if not ok:
                disagreements.append(f"expand-label.json tcId {t['tcId']}: {t['comment']}")

    for group in load("key-schedule.json")["testGroups"]:
        for t in group["tests"]:
            checked += 1
            derived, finished_ok = key_schedule(t)
            bad = [k for k, v in derived.items() if v.hex() != t[k]]
            if bad or finished_ok != (t["result"] == "valid"):
                disagreements.append(f"key-schedule.json tcId {t['tcId']}: {', '.join(bad) or 'Finished verdict'}")

    for group in load("record.json")["testGroups"]:
        for t in group["tests"]:
            checked += 1
            pt = open_record(t["cipher"], bytes.fromhex(t["key"]), bytes.fromhex(t["iv"]), t["seq"], bytes.fromhex(t["frame"]))
            ok = (pt is not None and pt.hex() == t["plaintext"]) if t["result"] == "valid" else pt is None
            if not ok:
                disagreements.append(f"record.json tcId {t['tcId']}: {t['comment']}")

    for d in disagreements:
        print(f"DISAGREE {d}")
    print(f"independent check: {checked} vectors, {len(disagreements)} disagree")
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "vectors"))
