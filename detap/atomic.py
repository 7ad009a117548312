"""Atomic file writes: readers see the old file or the complete new one.

Data goes to a temporary file in the target's directory, is flushed to
disk, then renamed over the target; any failure removes the temporary file,
so nothing is ever half-written.
"""
import contextlib
import os

__all__ = ["atomic_file", "atomic_write"]


@contextlib.contextmanager
def atomic_file(path):
    """``with atomic_file(path) as f: f.write(...)``: f is a binary file that
    replaces ``path`` when the block ends without an exception."""
    path = os.fspath(path)
    folder, base = os.path.split(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    while True:
        tmp = os.path.join(folder, f".{base}.{os.urandom(6).hex()}.tmp")  # (secrets would load OpenSSL)
        try:
            # mode 0o666 lets the umask decide, as for a plain open()
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write(path, data):
    """Write ``data`` (str as UTF-8, or bytes) to ``path`` atomically; returns path."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    with atomic_file(path) as f:
        f.write(data)
    return os.fspath(path)
