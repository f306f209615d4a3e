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

_done = False


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
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    # set the mmap threshold first: setting either one stops glibc's own
    # adjustment of both
    _done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _done
