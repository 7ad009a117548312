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
