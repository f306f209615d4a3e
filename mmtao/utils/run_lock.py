# Copyright (c) mmtao contributors. All rights reserved.
"""Refuse a second run that would write the same output files.

Two demos writing ``NAME_track.txt`` into one folder, or two
``tools/test.py`` runs sharing a ``--work-dir``, silently interleave or
overwrite each other's files. :class:`RunLock` holds an advisory ``flock``
on a lock file for the lifetime of a run; the kernel drops it when the
process ends in any way (Ctrl-C, ``kill -9``), so a stale lock file never
blocks the next run. POSIX only; elsewhere it does nothing.
"""
import os
from typing import Optional

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None


class OutputInUseError(OSError):
    """Another running process holds the lock on these outputs."""


class RunLock:
    """Hold an exclusive lock on ``path`` (created) or raise
    :class:`OutputInUseError` naming ``what`` and the other process.

    Args:
        path (str): The lock file (e.g. ``OUT_DIR/.NAME.lock``).
        what (str): What the lock protects, for the message (e.g.
            ``"outputs/demo/clip_*"``).
        hint (str): How to avoid the clash, appended to the message.
    """

    def __init__(self, path: str, what: str, hint: str = '') -> None:
        self.path = path
        self._fd: Optional[int] = None
        if fcntl is None:
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors='replace').strip()
            os.close(fd)
            raise OutputInUseError(
                f'{what} is being written by another run (pid '
                f'{holder or "?"}); refusing to mix two runs\' files'
                f'{"; " + hint if hint else ""}') from None
        self._fd = fd
        try:  # the pid only names the holder: a full disk is no reason to fail
            os.ftruncate(fd, 0)
            os.write(fd, f'{os.getpid()}\n'.encode())
        except OSError:
            pass

    def release(self) -> None:
        """Remove the lock file and release the lock (idempotent)."""
        if self._fd is None:
            return
        try:
            os.remove(self.path)
        except OSError:
            pass
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> 'RunLock':
        return self

    def __exit__(self, *exc) -> None:
        self.release()
