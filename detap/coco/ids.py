"""Image and category ids that are not integers (``"img_a"``, ``"car"``).

pycocotools keys its dicts by whatever the JSON holds and sorts the ids
(``sorted(getImgIds())``, ``np.unique(p.imgIds)``); detap's engine works on
int64 columns.  ``IdCodes`` gives each distinct id of one kind (images or
categories) the int64 code of its rank in sorted order, so that the codes
sort exactly as the ids do and every stage runs unchanged; the COCOeval
facade translates back at its edges (``evalImgs``, ``ious``).
"""
import numpy as np

from ..errors import DetapInputError

__all__ = ["IdCodes", "DetapIdError", "needs_codes"]


class DetapIdError(DetapInputError, TypeError):
    """Ids that cannot be sorted (a string and a number).  Also a
    TypeError, which is what pycocotools' sorted() raises for them."""


def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def needs_codes(ids):
    """True when some id is not an integer (then the kind needs codes)."""
    return any(not _is_int(v) for v in ids)


class IdCodes:
    """Codes of one kind of id: ``code[id]`` = rank of id in sorted order.

    ``ids``: every id the ground truth names (its list and its annotations'
    references); sorted as pycocotools sorts them, so ids that Python cannot
    order (a string and a number) raise TypeError as there."""

    def __init__(self, ids, what, where=None):
        self.what = what
        try:
            self.ids = sorted(set(ids))
        except TypeError as e:
            # pycocotools' sorted(getImgIds()) raises TypeError here too
            raise DetapIdError(f"{what} ids cannot be sorted ({e}); pycocotools sorts them "
                               "too", where) from None
        self.code = {v: i for i, v in enumerate(self.ids)}

    def encode(self, values, where, field):
        """int64 codes of ``values``; an id the ground truth does not name
        gets a code no evaluated id has (-1 - its position), so it is left
        out as pycocotools leaves it out."""
        out = np.empty(len(values), np.int64)
        for i, v in enumerate(values):
            try:
                out[i] = self.code.get(v, -1 - i)
            except TypeError:  # unhashable: a list or a dict
                raise DetapInputError(f"{where}: record {i} '{field}' is not an id: {v!r:.80}") from None
        return out

    def decode(self, codes):
        return [self.ids[int(c)] for c in codes]
