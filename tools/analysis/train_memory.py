# Copyright (c) mmtao contributors. All rights reserved.
"""Measure resident memory and speed of a training run, iteration by iteration.

Builds mmengine's Runner from a config exactly as ``tools/train.py`` does,
adds :class:`mmtao.engine.MemoryRecorderHook`, which reads this process's
current RSS (``VmRSS``) and peak RSS (``VmHWM``) from ``/proc/self/status``
after every training iteration and writes them to ``<work-dir>/memory.csv``
(iteration, seconds since the run started, rss_mb, peak_rss_mb). A training
run whose memory is flat has a peak RSS at iteration 1000 close to the one at
iteration 100.

Example::

    python tools/analysis/train_memory.py CONFIG --work-dir W \\
        --iters 1000 --report 100 1000 --cfg-options ...

Linux only (reads ``/proc``); run with ``num_workers=0`` in the config for
the number to cover the data pipeline too.
"""
import argparse
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from mmtao.engine import MemoryRecorderHook
from mmtao.utils import register_all_modules


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
    runner.train()  # the hook writes <work-dir>/memory.csv after the run

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
    print(f'wrote {osp.join(args.work_dir, recorder.out_file)}')


if __name__ == '__main__':
    main()
