# Copyright (c) mmtao contributors. All rights reserved.
import csv
import os
import os.path as osp
import time
from typing import Dict, List, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from mmtao.registry import HOOKS


def read_rss_mb() -> Dict[str, float]:
    """This process's current (``VmRSS``) and peak (``VmHWM``) resident
    memory in MiB, from ``/proc/self/status`` (Linux only)."""
    out = {}
    with open('/proc/self/status') as f:
        for line in f:
            key, _, value = line.partition(':')
            if key in ('VmRSS', 'VmHWM'):
                out[key] = int(value.split()[0]) / 1024.  # kB -> MiB
    if len(out) != 2:
        raise RuntimeError('/proc/self/status has no VmRSS / VmHWM: the '
                           'memory recorder needs Linux')
    return out


@HOOKS.register_module()
class MemoryRecorderHook(Hook):
    """Record this process's resident memory after every training iteration.

    A run whose memory is flat has a peak RSS at iteration 1000 close to
    the one at iteration 100 (``tools/analysis/train_memory.py`` prints
    both). Usable from any config::

        custom_hooks = [dict(type='MemoryRecorderHook')]

    Args:
        out_file (str, optional): CSV written into the work dir after the
            run (main process only): ``iter``, ``seconds`` (since
            ``before_run``), ``rss_mb``, ``peak_rss_mb``. None = keep the
            rows in :attr:`rows` only. Defaults to ``'memory.csv'``.
    """

    priority = 'VERY_LOW'

    def __init__(self, out_file: Optional[str] = 'memory.csv') -> None:
        self.out_file = out_file
        self.rows: List[dict] = []
        self.t0 = time.perf_counter()

    def before_run(self, runner) -> None:
        self.t0 = time.perf_counter()

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        mem = read_rss_mb()
        self.rows.append(
            dict(
                iter=runner.iter + 1,
                seconds=round(time.perf_counter() - self.t0, 3),
                rss_mb=round(mem['VmRSS'], 1),
                peak_rss_mb=round(mem['VmHWM'], 1)))

    def after_run(self, runner) -> None:
        if self.out_file is None or not self.rows or not is_main_process():
            return
        os.makedirs(runner.work_dir, exist_ok=True)
        path = osp.join(runner.work_dir, self.out_file)
        with open(path, 'w', newline='') as f:
            writer = csv.DictWriter(f, fieldnames=list(self.rows[0]))
            writer.writeheader()
            writer.writerows(self.rows)
