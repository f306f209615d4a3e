# Copyright (c) mmtao contributors. All rights reserved.
"""Plot the learning curve of a run from mmengine's json scalar log.

Reads ``<work_dir>/<timestamp>/vis_data/scalars.json`` (one json object per
logged iteration, written by ``LocalVisBackend``; with several runs in the
work dir, e.g. after ``--resume``, all are read and later runs win for an
iteration logged twice) and draws, against the iteration: the total loss,
the detection (``det_``) and tracking (``track_``) loss sums, and every
individual loss, plus the learning rate. Also prints a summary (seconds per
iteration, first / last losses) and can write it as json.

Example::

    python tools/analysis/plot_learning_curve.py work_dirs/RUN \\
        --out work_dirs/RUN/learning_curve.png --summary work_dirs/RUN/curve.json
"""
import argparse
import glob
import json
import os.path as osp
from typing import Dict, List

import numpy as np


def load_scalars(work_dir: str) -> List[dict]:
    """Training records (those with ``loss``), sorted by iteration."""
    paths = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not paths:
        raise FileNotFoundError(
            f'no */vis_data/scalars.json under {work_dir}: was the run '
            'logged with LocalVisBackend (mmdet default_runtime)?')
    by_iter: Dict[int, dict] = {}
    for path in paths:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as e:
                    raise ValueError(f'{path}:{n}: not json ({e})') from None
                if 'loss' in rec and 'iter' in rec:
                    by_iter[int(rec['iter'])] = rec
    if not by_iter:
        raise ValueError(f'{paths} hold no training records with a loss')
    return [by_iter[k] for k in sorted(by_iter)]


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average (window in logged points)."""
    if window <= 1 or len(values) < 2:
        return values
    kernel = np.ones(min(window, len(values))) / min(window, len(values))
    padded = np.concatenate([np.full(len(kernel) - 1, values[0]), values])
    return np.convolve(padded, kernel, mode='valid')


def summarize(records: List[dict]) -> dict:
    iters = np.array([r['iter'] for r in records])
    times = np.array([r.get('time', np.nan) for r in records], dtype=float)
    loss = np.array([r['loss'] for r in records], dtype=float)
    k = max(1, len(records) // 10)
    return dict(
        num_logged=len(records),
        first_iter=int(iters[0]),
        last_iter=int(iters[-1]),
        median_sec_per_iter=float(np.nanmedian(times)),
        loss_first_10pct=float(np.mean(loss[:k])),
        loss_last_10pct=float(np.mean(loss[-k:])),
    )


def plot(records: List[dict], out: str, window: int, title: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    iters = np.array([r['iter'] for r in records])
    loss_keys = sorted({
        k
        for r in records for k in r
        if 'loss' in k and k != 'loss' and not k.endswith('_acc')
    })

    def series(key: str) -> np.ndarray:
        return np.array([r.get(key, np.nan) for r in records], dtype=float)

    fig, axes = plt.subplots(1, 3, figsize=(17, 4.8))
    ax = axes[0]
    total = series('loss')
    ax.plot(iters, total, color='0.8', lw=0.8, label='loss (logged)')
    ax.plot(iters, smooth(total, window), color='k', label='loss (smoothed)')
    for prefix, color in (('det_', 'tab:blue'), ('track_', 'tab:red')):
        keys = [k for k in loss_keys if k.startswith(prefix)]
        if keys:
            part = np.nansum([series(k) for k in keys], axis=0)
            ax.plot(iters, smooth(part, window), color=color,
                    label=f'{prefix}* sum (smoothed)')
    ax.set_xlabel('iteration')
    ax.set_ylabel('loss')
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)

    ax = axes[1]
    for key in loss_keys:
        ax.plot(iters, smooth(series(key), window), label=key,
                ls='-' if key.startswith('det_') else '--')
    ax.set_yscale('log')
    ax.set_xlabel('iteration')
    ax.set_title('individual losses (smoothed, log scale)')
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)

    ax = axes[2]
    ax.plot(iters, series('lr'), color='tab:green')
    ax.set_xlabel('iteration')
    ax.set_ylabel('learning rate')
    ax.set_title('learning rate')
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Plot a learning curve')
    parser.add_argument('work_dir', help='the run\'s work dir')
    parser.add_argument('--out', help='PNG path (default: '
                        '<work_dir>/learning_curve.png)')
    parser.add_argument('--summary', help='write the summary as json here')
    parser.add_argument('--window', type=int, default=10,
                        help='moving-average window in logged points')
    parser.add_argument('--title', default=None)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    records = load_scalars(args.work_dir)
    out = args.out or osp.join(args.work_dir, 'learning_curve.png')
    plot(records, out, args.window, args.title or osp.basename(
        osp.normpath(args.work_dir)))
    summary = summarize(records)
    print(json.dumps(summary, indent=2))
    if args.summary:
        with open(args.summary, 'w') as f:
            json.dump(summary, f, indent=2)
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
