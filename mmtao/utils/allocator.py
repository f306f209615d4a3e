# Copyright (c) mmtao contributors. All rights reserved.
"""Keep freed tensor memory in the process between frames (glibc only).

glibc's malloc serves large blocks (from 128 KiB, a threshold it raises on
its own as blocks are freed) with fresh ``mmap`` pages and gives the top of
its heap back to the system past 128 KiB free. A network forward allocates
and frees tens of megabytes of activations, so frame after frame the pages
are unmapped, mapped again and zero-filled at their first touch. Measured
with ``tools/analysis/benchmark_tracker.py`` on the 2-core machine (README,
"Speed"): the backbone+FPN pass of the CPU model at 416x312 took 50-75 ms
with glibc's defaults (it varied from run to run with the sequence of
allocations) and 47-50 ms with the settings below, with the same peak RSS.

:func:`setup_allocator` fixes the mmap threshold at 32 MiB (glibc's maximum)
and the trim threshold at 128 MiB, so that blocks up to 32 MiB are reused
from the heap. The demos, ``tools/test.py``, the benchmark and
:func:`mmtao.apis.init_tracker` call it. ``MMTAO_MALLOC_TUNING=0`` turns it
off; on other C libraries (macOS, Windows, musl) it does nothing.

Long videos need the opposite once in a while: frames of 768x576 (1.3 MB)
decoded in a background thread between the model's allocations leave holes
that glibc keeps, and the demo's RSS grew by ~0.7 MiB a frame (577 MiB to
2.83 GiB over 3,180 frames) although live memory stayed flat. A heap
that keeps freed blocks in the process for speed must hand them back now and
then: :func:`release_free_memory` (``malloc_trim(0)``, all arenas) is called
every :data:`TRIM_EVERY` frames by :func:`mmtao.apis.iter_tracks`; it
returns free pages to the system without moving live blocks.
"""
import ctypes
import ctypes.util
import os
import platform

# mallopt parameters (malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 128 << 20
#: frames between two :func:`release_free_memory` calls in a video loop
TRIM_EVERY = 50

_done = False
_libc = None


def _glibc():
    """The C library when it is glibc (with ``mallopt``/``malloc_trim``),
    else None."""
    global _libc
    if _libc is not None:
        return _libc or None
    _libc = False
    if platform.system() == 'Linux' and platform.libc_ver()[0] == 'glibc':
        try:
            libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
            libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
            libc.malloc_trim.argtypes = [ctypes.c_size_t]
            _libc = libc
        except (OSError, AttributeError):
            pass
    return _libc or None


def release_free_memory() -> bool:
    """Give the free pages of every malloc arena back to the system
    (glibc's ``malloc_trim(0)``; a few ms). Live memory is untouched.

    Returns:
        bool: True when glibc released something, False otherwise (nothing
        to release, or not glibc).
    """
    libc = _glibc()
    return bool(libc.malloc_trim(0)) if libc is not None else False


def setup_allocator() -> bool:
    """Set glibc's malloc thresholds once per process (see module doc).

    Returns:
        bool: True when the thresholds are set (now or by an earlier call),
        False when turned off or not on glibc.
    """
    global _done
    if _done:
        return True
    if os.environ.get('MMTAO_MALLOC_TUNING', '1').strip() == '0':
        return False
    if platform.system() != 'Linux' or platform.libc_ver()[0] != 'glibc':
        return False
    libc = _glibc()
    if libc is None:
        return False
    mallopt = libc.mallopt
    # set the mmap threshold first: setting either one stops glibc's own
    # adjustment of both
    _done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _done
