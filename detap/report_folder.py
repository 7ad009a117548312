"""A report folder written as a whole: readers see the old report or the
complete new one, never a part.

``staged_folder(out_dir, names)`` yields a temporary sibling folder
(``.<name>.<random>.tmp`` next to ``out_dir``, so the final rename stays on
one file system and is atomic).  When the ``with`` block ends normally the
temporary folder takes ``out_dir``'s place; on any exception, Ctrl-C
included, it is removed and ``out_dir`` is left as it was.

Rules for ``out_dir``:

- missing: created (parents too);
- an existing folder: replaced as a whole, but only when it is empty or
  holds nothing but a previous detap report (every entry's name is one of
  ``names``, e.g. report.json, plots/); anything else (``--out .``, a folder
  with the user's own files) is refused, so a report never deletes data.
  The old folder is renamed aside, the new one renamed in, then the old one
  deleted; if the second rename fails the old folder is put back;
- an existing file, a symbolic link, the current folder (or one holding
  it), or a parent that cannot be written: ``DetapOutputError``.

Every ``OSError`` while the folder is built (disk full, permission) becomes
a ``DetapOutputError`` with a one-line message naming ``out_dir``.
"""
import contextlib
import os
import shutil
import tempfile

from .errors import DetapOutputError

__all__ = ["staged_folder", "check_replaceable"]


def _reason(e):
    return e.strerror or str(e)


def check_replaceable(out_dir, names):
    """Raise ``DetapOutputError`` unless ``out_dir`` is missing, an empty
    folder, or a folder whose entries are all in ``names``."""
    path = os.fspath(out_dir)
    here = os.path.realpath(os.getcwd())
    full = os.path.realpath(path)
    if here == full or here.startswith(full.rstrip(os.sep) + os.sep):
        # replacing it would leave this process (and the user's shell) in a
        # deleted folder
        raise DetapOutputError(f"{path}: is the current folder or contains it; give a new "
                               f"folder for the report", path)
    if not os.path.lexists(path):
        return
    if os.path.islink(path):
        raise DetapOutputError(f"{path}: is a symbolic link; a report replaces its folder as "
                               f"a whole, give the folder itself or a new one", path)
    if not os.path.isdir(path):
        raise DetapOutputError(f"{path}: exists and is not a folder; give a folder path "
                               f"for the report", path)
    try:
        entries = sorted(os.listdir(path))
    except OSError as e:
        raise DetapOutputError(f"{path}: cannot read the existing folder: {_reason(e)}",
                               path) from e
    foreign = [e for e in entries if e not in names]
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise DetapOutputError(f"{path}: folder exists and holds files that are not a detap "
                               f"report ({shown}); give a new or empty folder", path)


@contextlib.contextmanager
def staged_folder(out_dir, names):
    """``with staged_folder(out_dir, names) as tmp:`` write the report into
    ``tmp``; it replaces ``out_dir`` when the block succeeds (rules in the
    module docstring).  ``names``: the file and folder names a report of
    this kind may hold."""
    path = os.path.abspath(os.fspath(out_dir))
    shown = os.fspath(out_dir)
    check_replaceable(shown, names)
    parent, base = os.path.split(path)
    try:
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=f".{base}.", suffix=".tmp", dir=parent)
    except OSError as e:
        raise DetapOutputError(f"{shown}: cannot create the report folder: {_reason(e)}",
                               shown) from e
    try:
        try:
            yield tmp
            # mkdtemp makes the folder 0o700; a report is as readable as any
            # folder the user creates
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o777 & ~umask)
            _swap_in(tmp, path)
        except DetapOutputError:
            raise
        except OSError as e:
            raise DetapOutputError(f"{shown}: cannot write the report: {_reason(e)}",
                                   shown) from e
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap_in(tmp, path):
    if not os.path.lexists(path):
        os.rename(tmp, path)
        return
    old = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.", suffix=".old",
                           dir=os.path.dirname(path))
    os.rmdir(old)  # only the unique name is wanted
    os.rename(path, old)
    try:
        os.rename(tmp, path)
    except BaseException:
        os.rename(old, path)
        raise
    shutil.rmtree(old, ignore_errors=True)
