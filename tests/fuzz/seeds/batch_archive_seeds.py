#!/usr/bin/env python3
"""Write the hand-made seeds of the ksefd_batch_archive fuzz target
(tests/fuzz/corpus/ksefd_batch_archive/): small valid ZIP and TarGz batch
packages and the hostile ones batch_archive.c must refuse. Byte 0 of each
seed is the target's selector (ksefd_batch_archive_fuzz.c): bit 0 TarGz,
bits 1-2 the set of limits, bits 3-7 the entry the callback stops at
(31: never). Run from anywhere; the output is deterministic, so the
committed seeds are what this script writes."""
import gzip
import io
import os
import tarfile
import zipfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                   "corpus", "ksefd_batch_archive")
NEVER = 31 << 3
FIXED = (2026, 12, 3, 12, 0, 0)
INVOICE = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
           b'<Faktura xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/">'
           b'<Naglowek/></Faktura>\n')


def sel(targz=False, limits=1, stop=31):
    return bytes([(stop << 3) | (limits << 1) | int(targz)])


def zip_of(entries, method=zipfile.ZIP_DEFLATED):
    """entries: (name, data) or (ZipInfo, data)."""
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", method) as z:
        for name, data in entries:
            if isinstance(name, zipfile.ZipInfo):
                z.writestr(name, data)
            else:
                z.writestr(zipfile.ZipInfo(name, FIXED), data,
                           compress_type=method)
    return b.getvalue()


def tar_of(entries, compress=True):
    """entries: (name, data) or a ready TarInfo with data None."""
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in entries:
            if isinstance(name, tarfile.TarInfo):
                name.mtime = 1764763200
                t.addfile(name, io.BytesIO(data) if data else None)
            else:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mtime = 1764763200
                t.addfile(info, io.BytesIO(data))
    raw = b.getvalue()
    return gzip.compress(raw, mtime=0) if compress else raw


def tinfo(name, kind, link=""):
    i = tarfile.TarInfo(name)
    i.type = kind
    i.linkname = link
    return i


def zinfo_symlink(name):
    i = zipfile.ZipInfo(name, FIXED)
    i.create_system = 3
    i.external_attr = (0o120777 << 16)
    return i


def main():
    os.makedirs(OUT, exist_ok=True)
    two = [("fa1.xml", INVOICE), ("dir/fa2.xml", INVOICE)]
    seeds = {
        "zip-valid": sel() + zip_of(two),
        "zip-valid-stored": sel() + zip_of(two, zipfile.ZIP_STORED),
        "zip-valid-stop-first": sel(stop=0) + zip_of(two),
        "zip-directory-entry": sel() + zip_of(
            [("dir/", b""), ("dir/fa.xml", INVOICE)]),
        "targz-valid": sel(True) + tar_of(two),
        "targz-valid-stop-second": sel(True, stop=1) + tar_of(
            two + [("fa3.xml", INVOICE)]),
        "zip-traversal": sel() + zip_of([("../fa.xml", INVOICE)]),
        "zip-absolute": sel() + zip_of([("/etc/fa.xml", INVOICE)]),
        "zip-backslash": sel() + zip_of([("a\\..\\fa.xml", INVOICE)]),
        "zip-not-xml": sel() + zip_of([("fa.txt", INVOICE)]),
        "zip-duplicate": sel() + zip_of([("fa.xml", INVOICE),
                                         ("fa.xml", INVOICE)]),
        "zip-symlink": sel() + zip_of([(zinfo_symlink("fa.xml"),
                                        b"/etc/passwd")]),
        "zip-nested-name": sel() + zip_of([("inner.zip", zip_of(two))]),
        "zip-nested-data": sel() + zip_of([("fa.xml", zip_of(two))]),
        "zip-nested-gzip-data": sel() + zip_of(
            [("fa.xml", gzip.compress(INVOICE, mtime=0))]),
        "zip-too-many": sel(limits=0) + zip_of(
            [("fa%d.xml" % i, INVOICE) for i in range(5)]),
        "zip-entry-too-big": sel(limits=0) + zip_of(
            [("fa.xml", INVOICE * 64)]),
        "zip-bomb-entry": sel(limits=2) + zip_of(
            [("fa.xml", b"\0" * (1536 * 1024))]),
        "zip-bomb-ratio": sel(limits=2) + zip_of(
            [("fa%d.xml" % i, b"\0" * (900 * 1024)) for i in range(2)]),
        "zip-bomb-total": sel(limits=1) + zip_of(
            [("fa%d.xml" % i, b" " * 60000) for i in range(6)]),
        "zip-empty": sel() + zip_of([]),
        "zip-truncated": sel() + zip_of(two)[:90],
        "not-an-archive": sel() + INVOICE,
        "targz-plain-tar": sel(True) + tar_of(two, compress=False),
        "targz-gzip-not-tar": sel(True) + gzip.compress(INVOICE, mtime=0),
        "targz-symlink": sel(True) + tar_of(
            [(tinfo("fa.xml", tarfile.SYMTYPE, "/etc/passwd"), None)]),
        "targz-hardlink": sel(True) + tar_of(
            [("fa.xml", INVOICE),
             (tinfo("fb.xml", tarfile.LNKTYPE, "fa.xml"), None)]),
        "targz-device": sel(True) + tar_of(
            [(tinfo("fa.xml", tarfile.CHRTYPE), None)]),
        "targz-traversal": sel(True) + tar_of([("a/../../fa.xml", INVOICE)]),
        "targz-duplicate": sel(True) + tar_of([("fa.xml", INVOICE),
                                               ("fa.xml", INVOICE)]),
        "targz-bomb-ratio": sel(True, limits=2) + tar_of(
            [("fa%d.xml" % i, b"\0" * (900 * 1024)) for i in range(2)]),
        "targz-as-zip": sel() + tar_of(two),
    }
    corrupt = bytearray(zip_of([("fa.xml", INVOICE * 8)]))
    for i in range(40, 60):
        corrupt[i] ^= 0x5a
    seeds["zip-corrupt-data"] = sel() + bytes(corrupt)
    # The "encrypted" bit of the general purpose flags, in the local and
    # the central header, on data that is not really encrypted.
    enc = bytearray(zip_of([("fa.xml", INVOICE)], zipfile.ZIP_STORED))
    enc[6] |= 1
    enc[enc.find(b"PK\x01\x02") + 8] |= 1
    seeds["zip-encrypted"] = sel() + bytes(enc)
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
