# Copyright (c) mmtao contributors. All rights reserved.
"""How many CPU threads torch uses for inference: one rule everywhere.

Measured with ``tools/analysis/benchmark_tracker.py --thread-counts 1 2``
(README, "Threads"): on 2-core machines a second OpenMP thread was never
faster for the CPU model (320 or 640 px input) and was many times slower
whenever anything else ran (OpenMP threads spin-wait for a busy core). So:

1. an explicit count (``--threads N``, ``num_threads=N``) wins;
2. else ``OMP_NUM_THREADS`` when set;
3. else 1 thread when the process may use 2 cores or fewer, or when the
   1-minute load average leaves fewer than 2 of its cores free;
4. else the free cores, at most 4 (not measured here: no machine with more
   than 2 cores).
"""
import os
from typing import Optional

import torch

MAX_DEFAULT_THREADS = 4


def usable_cores() -> int:
    """int: Cores this process may run on (its CPU affinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_num_threads() -> int:
    """The thread count of rules 2-4 above.

    Returns:
        int: At least 1.
    """
    env = os.environ.get('OMP_NUM_THREADS', '').strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    cores = usable_cores()
    if cores <= 2:
        return 1
    try:
        busy = int(round(os.getloadavg()[0]))
    except OSError:
        busy = 0
    free = cores - busy
    return 1 if free < 2 else min(free, MAX_DEFAULT_THREADS)


# an explicit count given earlier in this process (e.g. a tool's --threads),
# which later default calls (e.g. init_tracker's) keep
_explicit: Optional[int] = None


def setup_num_threads(num_threads: Optional[int] = None) -> int:
    """Set torch's intra-op threads by the rule above.

    Args:
        num_threads (int, optional): An explicit count (> 0), kept by later
            calls without one. None or 0: the count given explicitly
            before in this process, else :func:`default_num_threads`.

    Returns:
        int: The count set.
    """
    global _explicit
    if num_threads is not None and num_threads < 0:
        raise ValueError(f'num_threads must be >= 0, got {num_threads}')
    if num_threads:
        _explicit = int(num_threads)
    count = _explicit or default_num_threads()
    torch.set_num_threads(count)
    return count
