"""The COCO engine's labels, packed (csrc/labels.h), and their values.

A kept detection has a label per (area range, IoU threshold): 1 TP, 0 FP,
-1 ignored.  The engine keeps them packed, two bit planes (TP, ignored) of
ceil(T / 8) bytes per (detection, area range), so that ten million
detections cost 16 bytes each instead of 40 for COCO's 4 x 10 labels.
Arrays: values (n, A, T) int8; packed (n, A, 2, ceil(T / 8)) uint8.
"""
import numpy as np

__all__ = ["pack", "unpack", "packed_shape", "values_at"]


def packed_shape(n, A, T):
    """The shape of n detections' packed labels."""
    return (n, A, 2, (T + 7) // 8)


def pack(values):
    """(n, A, T) int8 label values -> packed (n, A, 2, ceil(T / 8)) uint8."""
    values = np.asarray(values)
    tp = np.packbits(values == 1, axis=-1, bitorder="little")
    ig = np.packbits(values == -1, axis=-1, bitorder="little")
    return np.ascontiguousarray(np.stack([tp, ig], axis=2))


def unpack(packed, T):
    """Packed labels of T thresholds -> (n, A, T) int8 values (1, 0, -1)."""
    bits = np.unpackbits(np.asarray(packed, dtype=np.uint8), axis=-1, count=T, bitorder="little")
    return bits[:, :, 0].astype(np.int8) - bits[:, :, 1].astype(np.int8)


def values_at(packed, a, t):
    """The (n,) int8 label values of area range ``a`` and threshold ``t``
    alone, read from the packed labels without unpacking the others."""
    byte, bit = divmod(int(t), 8)
    p = np.asarray(packed, dtype=np.uint8)
    tp = (p[:, a, 0, byte] >> bit) & 1
    ig = (p[:, a, 1, byte] >> bit) & 1
    return tp.astype(np.int8) - ig.astype(np.int8)
