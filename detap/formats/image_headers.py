"""Image sizes from PNG, JPEG, BMP and GIF headers, with the standard
library only.

Sizes are (width, height) in pixels as stored: EXIF orientation is not
applied, so a photo stored rotated has its stored, not its displayed, size.
The tests check these readers against the ``imagesize`` package.
"""
import struct

from ..errors import DetapInputError

__all__ = ["HEADER_FORMATS", "header_size"]

HEADER_FORMATS = ("PNG", "JPEG", "BMP", "GIF")


def header_size(path):
    """(width, height) of a PNG, JPEG, BMP or GIF file, read from its
    header; None when the file is none of these (by its first bytes).  A
    damaged or truncated header is a DetapInputError naming the file."""
    try:
        with open(path, "rb") as f:
            head = f.read(32)
            if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
                size = struct.unpack(">II", head[16:24])
            elif head[:6] in (b"GIF87a", b"GIF89a"):
                size = struct.unpack("<HH", head[6:10])
            elif head[:2] == b"BM":
                size = _bmp_size(head)
            elif head[:2] == b"\xff\xd8":
                size = _jpeg_size(f)
            else:
                return None
    except struct.error:
        raise DetapInputError("truncated image header", path) from None
    except OSError as e:
        raise DetapInputError(f"cannot read: {e.strerror}", path) from None
    if size is None or size[0] <= 0 or size[1] <= 0:
        raise DetapInputError("no image size in the header", path)
    return int(size[0]), int(size[1])


def _bmp_size(head):
    """(width, height) from the first 26+ bytes of a BMP file."""
    (dib,) = struct.unpack("<I", head[14:18])
    if dib == 12:  # OS/2 BITMAPCOREHEADER: 16-bit sizes
        return struct.unpack("<HH", head[18:22])
    w, h = struct.unpack("<ii", head[18:26])
    return w, abs(h)  # a negative height means rows stored top-down


# JPEG start-of-frame markers (baseline, progressive, lossless, ...): all
# 0xC0..0xCF except DHT (C4), JPG (C8) and DAC (CC), which are not frames
_SOF = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_size(f):
    """(width, height) from the first start-of-frame segment of the JPEG
    file ``f`` (a binary file object), skipping the segments before it by
    their lengths (EXIF blocks can be large); None when there is none."""
    f.seek(2)
    while True:
        byte = f.read(1)
        if byte != b"\xff":
            return None
        while byte == b"\xff":  # fill bytes may pad a marker
            byte = f.read(1)
        marker = byte[0] if byte else 0xD9
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:
            continue  # stand-alone markers carry no length
        if marker in (0xD9, 0xDA):  # end of image or scan data before any frame
            return None
        (length,) = struct.unpack(">H", f.read(2))
        if marker in _SOF:
            _, h, w = struct.unpack(">BHH", f.read(5))
            return w, h
        f.seek(length - 2, 1)
