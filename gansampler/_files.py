"""Atomic writes: a file or folder appears whole under its name, or not at all."""

import os
from pathlib import Path


def user_mode(folder):
    """Give a folder that mkdtemp made private the mode the user's umask
    gives new folders."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(folder, 0o777 & ~umask)


def write_atomic(path, write):
    """Call ``write(partial)`` on a hidden name beside ``path``, then rename
    it to ``path``; on any failure, remove the partial file."""
    path = Path(path)
    # The suffix stays last: writers infer the format from it.
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        write(partial)
        os.replace(partial, path)
    except BaseException:
        if partial.exists():
            partial.unlink()
        raise
