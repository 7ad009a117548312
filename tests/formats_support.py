"""Helpers shared by the detap.formats tests: files written from text, an
error-location matcher, and minimal valid image headers."""
import os
import re
import struct
import zlib

import pytest

from detap.errors import DetapInputError


def write_lines(folder, files):
    """files: {name: text}"""
    os.makedirs(folder, exist_ok=True)
    for name, body in files.items():
        with open(os.path.join(folder, name), "w") as f:
            f.write(body)
    return str(folder)


def raises_at(path, line=None, *fragments):
    """pytest.raises for a DetapInputError naming ``path`` (and ``line``)."""
    where = f"{path}:{line}:" if line is not None else f"{path}"
    return pytest.raises(DetapInputError, match=_all_of(where, *fragments))


def _all_of(*parts):
    return "".join(f"(?=.*{re.escape(p)})" for p in parts)


# ----------------------------------------------------------- image headers
# Each gives the bytes of a file that image readers size as (w, h) pixels:
# the header only, as no reader looks past it.

def png(w, h):
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return b"\x89PNG\r\n\x1a\n" + chunk


def jpeg(w, h, sof=0xC0, exif=300, n_app=1):
    """A JPEG header: ``n_app`` APP1 segments of ``exif`` 0xFF bytes (which
    a reader must skip by length, not scan), a DHT, then the frame."""
    app1 = (b"\xff\xe1" + struct.pack(">H", exif + 2) + b"\xff" * exif) * n_app
    frame = b"\xff" + bytes([sof]) + struct.pack(">HBHHB", 11, 8, h, w, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app1 + b"\xff\xff" + b"\xc4" + struct.pack(">H", 4) + b"\0\0" + frame + b"\xff\xd9"


def bmp(w, h, core=False):
    """A BMP header: BITMAPINFOHEADER (a negative ``h``: rows top-down) or,
    with ``core``, OS/2's BITMAPCOREHEADER (16-bit sizes)."""
    dib = struct.pack("<IHHHH", 12, w, h, 1, 24) if core else struct.pack("<Iii", 40, w, h) + b"\0" * 28
    return b"BM" + b"\0" * 12 + dib


def gif(w, h, version=b"89a"):
    return b"GIF" + version + struct.pack("<HH", w, h) + b"\0" * 10


def webp(w, h, kind="VP8"):
    """A WebP header: lossy ("VP8 ", w, h < 2**14), lossless ("VP8L",
    w, h <= 2**14) or extended ("VP8X", w, h <= 2**24)."""
    if kind == "VP8":
        chunk = b"VP8 " + struct.pack("<I", 10) + b"\0\0\0" + b"\x9d\x01\x2a" + struct.pack("<HH", w, h)
    elif kind == "VP8L":
        bits = (w - 1) | (h - 1) << 14
        chunk = b"VP8L" + struct.pack("<I", 5) + b"\x2f" + struct.pack("<I", bits)
    else:
        chunk = (b"VP8X" + struct.pack("<I", 10) + b"\0\0\0\0"
                 + struct.pack("<I", w - 1)[:3] + struct.pack("<I", h - 1)[:3])
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk + b"\0" * 16


def tiff(w, h, big_endian=False, long_sizes=False):
    """A TIFF header and first IFD holding ImageWidth and ImageLength, as
    SHORTs or (``long_sizes``) LONGs."""
    e = ">" if big_endian else "<"
    kind, fmt = (4, "I") if long_sizes else (3, "H")

    def entry(tag, value):
        packed = struct.pack(e + fmt, value)
        return struct.pack(e + "HHI", tag, kind, 1) + packed + b"\0" * (4 - len(packed))

    ifd = struct.pack(e + "H", 2) + entry(256, w) + entry(257, h) + struct.pack(e + "I", 0)
    return (b"MM\0*" if big_endian else b"II*\0") + struct.pack(e + "I", 8) + ifd
