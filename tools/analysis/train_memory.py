# Copyright (c) mmtao contributors. All rights reserved.
"""Measure resident memory and speed of a training run, iteration by iteration.

Builds mmengine's Runner from a config exactly as ``tools/train.py`` does,
adds a hook that reads this process's current RSS (``VmRSS``) and peak RSS
(``VmHWM``) from ``/proc/self/status`` after every training iteration, and
writes them to ``<work-dir>/memory.csv`` (iteration, seconds since start,
rss_mb, peak_rss_mb). A training run whose memory is flat has a peak RSS at
iteration 1000 close to the one at iteration 100.

Example::

    python tools/analysis/train_memory.py CONFIG --work-dir W \\
        --iters 1000 --report 100 1000 --cfg-options ...

Linux only (reads ``/proc``); run with ``num_workers=0`` in the config for
the number to cover the data pipeline too.
"""
import argparse
import csv
import os
import os.path as osp
import time
from typing import Dict, List

from mmengine.config import Config, DictAction
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmtao.utils import register_all_modules


def read_rss_mb() -> Dict[str, float]:
    """Current (VmRSS) and peak (VmHWM) resident memory in MiB."""
    out = {}
    with open('/proc/self/status') as f:
        for line in f:
            key, _, value = line.partition(':')
            if key in ('VmRSS', 'VmHWM'):
                out[key] = int(value.split()[0]) / 1024.  # kB -> MiB
    if len(out) != 2:
        raise RuntimeError('/proc/self/status has no VmRSS / VmHWM: this '
                           'script needs Linux')
    return out


class MemoryRecorderHook(Hook):
    """Record RSS after every training iteration."""

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self.rows: List[dict] = []
        self.t0 = time.perf_counter()

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        mem = read_rss_mb()
        self.rows.append(
            dict(
                iter=runner.iter + 1,
                seconds=round(time.perf_counter() - self.t0, 3),
                rss_mb=round(mem['VmRSS'], 1),
                peak_rss_mb=round(mem['VmHWM'], 1)))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Peak RSS and speed of a training run per iteration')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', required=True)
    parser.add_argument('--iters', type=int, default=1000)
    parser.add_argument(
        '--report', type=int, nargs='+', default=[100, 1000],
        help='iterations whose memory is printed')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file not found: {args.config}')
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir
    cfg.train_cfg.max_iters = args.iters
    # no checkpoints or validation inside the measurement
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', by_epoch=False, interval=args.iters + 1)
    cfg.train_cfg.val_interval = args.iters + 1
    runner = Runner.from_cfg(cfg)
    recorder = MemoryRecorderHook()
    runner.register_hook(recorder)
    runner.train()

    os.makedirs(args.work_dir, exist_ok=True)
    out = osp.join(args.work_dir, 'memory.csv')
    with open(out, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=list(recorder.rows[0]))
        writer.writeheader()
        writer.writerows(recorder.rows)
    by_iter = {r['iter']: r for r in recorder.rows}
    for it in args.report:
        if it in by_iter:
            r = by_iter[it]
            print(f'iter {it}: rss {r["rss_mb"]:.1f} MiB, peak rss '
                  f'{r["peak_rss_mb"]:.1f} MiB, {r["seconds"]:.1f} s')
    n = len(recorder.rows)
    if n > 10:
        rate = (recorder.rows[-1]['seconds'] - recorder.rows[9]['seconds']) \
            / (n - 10)
        print(f'{rate:.3f} s/iter (iterations 11-{n})')
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
