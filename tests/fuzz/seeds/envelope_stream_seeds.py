#!/usr/bin/env python3
"""Write the hand-made seeds of the envelope_stream fuzz target
(tests/fuzz/corpus/envelope_stream/): ciphertexts under the target's fixed
key and under keys of their own, cut into pieces at block boundaries and
across them, bad padding, partial blocks, and plaintexts to encrypt.
Byte 0 is the target's selector (envelope_stream_fuzz.c): bit 0 decrypt,
bit 1 key and IV in the input, bits 2-7 the output bound in 16-byte
blocks (0: none). Needs the `cryptography` package; deterministic."""
import os

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                   "corpus", "envelope_stream")
FIXED_KEY = b"fuzz-stream-key-0123456789abcde\0"
FIXED_IV = b"fuzz-stream-iv0\0"
TEXT = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Faktura xmlns="http://'
        b'crd.gov.pl/wzor/2025/06/25/13775/"><Naglowek/></Faktura>\n')


def encrypt(data, key=FIXED_KEY, iv=FIXED_IV):
    p = padding.PKCS7(128).padder()
    e = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return e.update(p.update(data) + p.finalize()) + e.finalize()


def raw_encrypt(data, key=FIXED_KEY, iv=FIXED_IV):
    e = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return e.update(data) + e.finalize()


def pieces(data, sizes):
    """Cut data into pieces of the given sizes, the last size repeated."""
    out, i, k = b"", 0, 0
    while i < len(data):
        n = min(sizes[min(k, len(sizes) - 1)], len(data) - i, 255)
        out += bytes([n]) + data[i:i + n]
        i += n
        k += 1
    return out


def sel(decrypt=True, own_key=False, bound=0):
    return bytes([(bound << 2) | (int(own_key) << 1) | int(decrypt)])


def main():
    os.makedirs(OUT, exist_ok=True)
    ct = encrypt(TEXT)
    key, iv = bytes(range(32)), bytes(range(100, 116))
    bad_pad = raw_encrypt(TEXT[:32] + b"A" * 14 + b"\x03\x02")
    seeds = {
        "decrypt-whole": sel() + pieces(ct, [255]),
        "decrypt-blocks": sel() + pieces(ct, [16]),
        "decrypt-odd-pieces": sel() + pieces(ct, [1, 15, 17, 0, 31, 7]),
        "decrypt-empty-pieces": sel() + b"\0\0" + pieces(ct, [40]),
        "decrypt-own-key": sel(own_key=True) + key + iv +
        pieces(encrypt(TEXT, key, iv), [33, 5]),
        "decrypt-wrong-key": sel(own_key=True) + key + iv + pieces(ct, [48]),
        "decrypt-bad-padding": sel() + pieces(bad_pad, [20]),
        "decrypt-partial-block": sel() + pieces(ct[:-3], [16]),
        "decrypt-nothing": sel(),
        "decrypt-bounded": sel(bound=2) + pieces(ct, [16]),
        "decrypt-bound-exact": sel(bound=len(TEXT) // 16 + 2) +
        pieces(ct, [255]),
        "decrypt-empty-text": sel() + pieces(encrypt(b""), [16]),
        "encrypt-pieces": sel(decrypt=False) + pieces(TEXT, [3, 16, 29]),
        "encrypt-own-key": sel(decrypt=False, own_key=True) + key + iv +
        pieces(TEXT, [255]),
        "encrypt-nothing": sel(decrypt=False),
        "encrypt-bounded": sel(decrypt=False, bound=3) + pieces(TEXT, [64]),
        "encrypt-block": sel(decrypt=False) + pieces(TEXT[:32], [32]),
    }
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
