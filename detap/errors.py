"""Exceptions raised for bad input.

Every message names where the problem is (file and line, image id, or
field) so that a user can fix the input without reading detap's code.
"""


class DetapInputError(ValueError):
    """Malformed input: a det line, an annotation file, an array argument.

    Attributes ``path`` and ``line`` (1-based) are set when known.
    """

    def __init__(self, message, path=None, line=None):
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + message)
        self.path = path
        self.line = line


class DetapCacheError(RuntimeError):
    """An annotation cache file exists but cannot be read as a detap cache."""


class DetapWarning(UserWarning):
    """Input that reads without error but looks like a mistake (integer class
    ids without names, boxes in another layout, an empty folder).  The
    message is one line naming the file or folder, what looks wrong and the
    flag that fixes it."""


class DetapOutputError(OSError):
    """An output (a report folder, a JUnit or summary file) cannot be
    written: the path is a file, its parent is not writable, the disk is
    full, or the folder holds files that are not a detap report.  The
    message is one line naming the path; the CLI maps it to exit status 2.
    ``path`` is set."""

    def __init__(self, message, path=None):
        super().__init__(message)
        self.path = path

    def __str__(self):
        # OSError's own str() would show the errno tuple instead of the message
        return self.args[0]
