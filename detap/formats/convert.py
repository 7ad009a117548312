"""Format conversion: read in one format, write in another.

Boxes are carried as read (``Dataset`` keeps the source's numbers) and
converted only where the target format needs another box form, so a
conversion between formats of the same box form copies numbers exactly.
"""

__all__ = ["READ_OPTIONS", "WRITE_OPTIONS", "convert"]

#: options passed to ``read`` (see its docstring)
READ_OPTIONS = ("box_format", "relative", "names", "image_sizes", "imageset")
#: convert's names for ``write``'s options
WRITE_OPTIONS = {"dst_box_format": "box_format", "dst_relative": "relative"}


def convert(src_gt, src_dt, src_format, dst_format, dst_gt, dst_dt, **options):
    """Convert ground truth ``src_gt`` and detections ``src_dt`` (or None)
    from ``src_format`` ("auto", a format name or a (gt, dt) pair) to
    ``dst_format``, writing ``dst_gt`` and ``dst_dt`` (detections are
    written when the source has them and ``dst_dt`` is given).

    options: ``read``'s keyword options (box_format, relative, names,
    image_sizes, imageset) for the source, and ``dst_box_format`` /
    ``dst_relative`` for the text writer.  Returns the ``Dataset`` read.
    """
    unknown = sorted(set(options) - set(READ_OPTIONS) - set(WRITE_OPTIONS))
    if unknown:
        raise TypeError(f"convert() got unknown option(s): {', '.join(unknown)}")
    # imported here: the package imports this module after defining read/write
    from . import read, write
    ds = read(src_gt, src_dt, src_format, **{k: v for k, v in options.items() if k in READ_OPTIONS})
    write(ds, dst_format, dst_gt, dst_dt if ds.has_dets else None,
          **{WRITE_OPTIONS[k]: v for k, v in options.items() if k in WRITE_OPTIONS})
    return ds
