"""Checked downloads: a file appears whole under its name, with the checksum
its publisher gave, or not at all."""

import hashlib
import http.client
import os
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

# Bytes read at a time, and seconds a stalled connection is waited for.
CHUNK = 1 << 20
TIMEOUT = 60


@dataclass(frozen=True)
class RemoteFile:
    """A published file: its name on disk, where to get it, its MD5."""

    filename: str
    url: str
    md5: str


def _umask():
    umask = os.umask(0)
    os.umask(umask)
    return umask


def download(remote, folder):
    """Download ``remote`` into ``folder`` and return its path.

    The bytes go to a temporary file of a unique name in ``folder``, are
    hashed as they arrive, and the file is renamed to ``remote.filename``
    only when its MD5 is the published one. On any failure (no network, a
    wrong checksum, Ctrl-C) the temporary file is removed and nothing is left
    in ``folder``. A failure to connect raises OSError naming the file, its
    address and the folder to put it in by hand.
    """
    folder = Path(folder)
    target = folder / remote.filename
    folder.mkdir(parents=True, exist_ok=True)
    # A unique name, so that two processes fetching the same file at once do
    # not write into each other's bytes; the last rename wins, whole.
    handle, partial = tempfile.mkstemp(
        dir=folder, prefix=f".{remote.filename}.", suffix=".part"
    )
    digest = hashlib.md5(usedforsecurity=False)
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in _chunks(remote, folder):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != remote.md5.lower():
            raise OSError(
                f"{remote.filename} downloaded from {remote.url} has MD5 "
                f"{digest.hexdigest()}, not the published {remote.md5}: the "
                "download is corrupt or the file has changed, and it was not "
                f"kept. Try again, or {_by_hand(remote, folder)}"
            )
        # mkstemp makes the file private; give it the mode a new file gets.
        os.chmod(partial, 0o666 & ~_umask())
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return target


def _chunks(remote, folder):
    """The bytes at ``remote.url``, a chunk at a time; a network failure is an
    OSError that says how to get the file by hand (a full disk is not)."""
    try:
        with urllib.request.urlopen(remote.url, timeout=TIMEOUT) as response:
            while chunk := response.read(CHUNK):
                yield chunk
            # read(n) ends quietly when the connection closes early; the
            # bytes still owed say it was cut short.
            if response.length:
                raise http.client.IncompleteRead(b"", response.length)
    # URLError (no network, a refused connection, an HTTP error), timeouts,
    # and a connection cut short (http.client's IncompleteRead).
    except (OSError, http.client.HTTPException) as error:
        raise OSError(_by_hand(remote, folder, error)) from error


def _by_hand(remote, folder, error=None):
    reason = f"Could not download {remote.filename} ({error}); " if error else ""
    return (
        f"{reason}download it by hand from {remote.url} (MD5 {remote.md5}) "
        f"and put it in {folder}{os.sep} as {remote.filename}."
    )
