# Copyright (c) mmtao contributors. All rights reserved.
"""DataLoader workers that die with their trainer.

torch's worker loop notices a dead parent (its watchdog polls every 5 s),
but then exits through ``multiprocessing``'s queue finaliser, which waits
until every prefetched batch has been written to the result pipe. When the
trainer was killed (``kill -9``, OOM killer) with batches in flight, nobody
reads that pipe and the worker hangs forever, holding its memory and
``/dev/shm`` segments. On Linux the kernel can instead kill the worker the
moment its parent dies (``prctl(PR_SET_PDEATHSIG, SIGKILL)``); this module
adds that to mmengine's worker initialisation.
"""
import ctypes
import ctypes.util
import os
import signal
import sys
from functools import wraps
from typing import Callable

_PR_SET_PDEATHSIG = 1
_installed = False


def exit_with_parent(parent_pid: int) -> bool:
    """Ask the kernel to SIGKILL this process when its parent dies.

    Args:
        parent_pid (int): The pid the caller expects as its parent; if the
            parent is already gone (re-parented before the request took
            effect) the process exits at once.

    Returns:
        bool: Whether the request was made (False off Linux).
    """
    if not sys.platform.startswith('linux'):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6',
                       use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return False
    if os.getppid() != parent_pid:
        os._exit(1)
    return True


def _wrap(init_fn: Callable, parent_pid: int) -> Callable:

    @wraps(init_fn)
    def worker_init_fn(worker_id: int, *args, **kwargs):
        exit_with_parent(parent_pid)
        return init_fn(worker_id, *args, **kwargs)

    worker_init_fn.__wrapped_by_mmtao__ = True
    return worker_init_fn


def install_worker_exit_with_parent() -> None:
    """Make the DataLoader workers of mmengine Runners built in this process
    exit when the process dies.

    The Runner seeds its workers with ``mmengine.dataset.worker_init_fn``
    (always: the Runner always has a seed); that function is wrapped so
    that each worker first calls :func:`exit_with_parent`. Idempotent.
    """
    global _installed
    if _installed:
        return
    import mmengine.runner.runner as runner_module
    runner_module.default_worker_init_fn = _wrap(
        runner_module.default_worker_init_fn, os.getpid())
    _installed = True
