"""Annotation cache files: numpy .npz, written atomically, read without pickle.

A cache file is untrusted input: it is read with ``allow_pickle=False`` (only
plain numeric and fixed-width string arrays load), its keys and format
version are checked, and anything unexpected raises DetapCacheError naming
the file.  Writes go to a temporary file in the same directory, are flushed
to disk, then renamed over the target, so a crash never leaves a partial
cache behind.
"""

import numpy as np

from .atomic import atomic_file
from .errors import DetapCacheError

FORMAT = "detap-annotations-v1"


def write_atomic(path, arrays):
    """Write ``arrays`` (name -> ndarray) to ``path`` as .npz, atomically."""
    with atomic_file(path) as f:
        np.savez(f, format=np.array(FORMAT), **arrays)


def read(path, keys):
    """The arrays of a cache file as a dict, or raise DetapCacheError."""
    import zipfile  # (numpy's npz needs it; imported on use: it loads bz2 and lzma)
    try:
        with np.load(path, allow_pickle=False) as z:
            if "format" not in z.files or str(z["format"]) != FORMAT:
                raise DetapCacheError(
                    f"{path}: not a {FORMAT} cache file; delete it to rebuild")
            missing = [k for k in keys if k not in z.files]
            if missing:
                raise DetapCacheError(f"{path}: cache lacks {missing}; delete it to rebuild")
            return {k: z[k] for k in keys}
    except DetapCacheError:
        raise
    except OSError as e:
        if isinstance(e, FileNotFoundError) or e.strerror is not None:
            raise DetapCacheError(f"{path}: cannot read the annotation cache ({e.strerror}); "
                                  "delete it to rebuild") from e
        raise _not_a_cache(path) from e
    except (ValueError, zipfile.BadZipFile, EOFError, KeyError) as e:
        # numpy's own message on such a file advises allow_pickle=True, the
        # one thing never to do with an untrusted cache: not repeated
        raise _not_a_cache(path) from e


def _not_a_cache(path):
    return DetapCacheError(f"{path}: not a detap cache (delete it to rebuild)")
