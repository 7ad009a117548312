"""How the benchmarks' synthetic results and det files write their numbers.

``numbers=`` of the data writers (``bench/coco_rivals.py::write_preset``,
``bench/conftest.py``'s VOC det files):

short    today's 2-3 decimals (boxes 2 decimals or integer corners, scores 3
         decimals), as py-faster-rcnn and Detectron2's text writers print
         them: ``[198.55, 201.5, 158.08, 105.08]``, ``0.988``.  The default.
float32  every float value as a real detector writes it: the float64 value
         of a float32 (``np.asarray(x, np.float32).astype(np.float64)``),
         printed by ``json.dump`` / ``repr`` as the shortest string that
         reads back to that double, up to 17 significant digits:
         ``198.5500030517578``, ``0.9879999756813049``.  Integer ids stay
         integers.

Only results / detections change format: ground truth keeps its natural
short numbers, as annotation tools write them.  The float32 values are those
of the short ones (the same detections, as a detector holding them in
float32 writes them), so the data set differs from the short one only by
float32 rounding (at most ~3e-5 px on a 640 px box, ~3e-8 on a score).
"""
import numpy as np

NUMBER_FORMATS = {"short": "short decimals", "float32": "float32 reprs"}

# the float-valued fields of a COCO result record (image_id and category_id
# are integer ids; segmentation is an RLE string or polygons, left as drawn)
FLOAT_FIELDS = ("bbox", "score", "area", "keypoints")


def check_numbers(numbers):
    """``numbers`` itself, or ValueError naming the known formats."""
    if numbers not in NUMBER_FORMATS:
        raise ValueError(f"numbers={numbers!r}: expected one of {', '.join(NUMBER_FORMATS)}")
    return numbers


def number_text(numbers):
    """'short decimals' / 'float32 reprs' (report headings)."""
    return NUMBER_FORMATS[numbers]


def as_float32(a):
    """float64 array of ``a``'s values rounded to float32 (what a detector's
    float32 tensor holds; ``.tolist()`` of it gives the floats it writes)."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def float32_results(results):
    """Round every float of ``FLOAT_FIELDS`` in COCO result dicts to float32,
    in place; returns ``results``.  One numpy conversion per field when all
    records hold the same number of values (boxes, scores), else per record."""
    for key in FLOAT_FIELDS:
        rows = [r for r in results if key in r]
        if not rows:
            continue
        try:
            values = as_float32([r[key] for r in rows]).tolist()
        except ValueError:  # ragged: records of different lengths
            values = [as_float32(r[key]).tolist() for r in rows]
        for r, v in zip(rows, values):
            r[key] = v
    return results


def voc_det_text(names, image, score, boxes, numbers):
    """The lines ``<image name> <score> <x1> <y1> <x2> <y2>`` of a VOC det
    file (py-faster-rcnn's layout), one per detection in the given order.

    short: 3-decimal scores and corners as ``detap.synth.write_voc`` writes
    them (integers without a decimal point, others by repr); float32: all
    five numbers as ``repr`` of their float32 value."""
    check_numbers(numbers)
    if numbers == "short":
        return "".join(f"{names[i]} {s:.3f} {_short(b[0])} {_short(b[1])} {_short(b[2])} "
                       f"{_short(b[3])}\n" for i, s, b in zip(image, score, boxes))
    rows = np.column_stack([as_float32(score), as_float32(boxes)]).tolist()
    return "".join(f"{names[i]} {r[0]!r} {r[1]!r} {r[2]!r} {r[3]!r} {r[4]!r}\n"
                   for i, r in zip(image, rows))


def _short(v):
    """A corner as write_voc prints it: '12' for 12.0, else repr."""
    return str(int(v)) if float(v).is_integer() else repr(float(v))
