# Copyright (c) mmtao contributors. All rights reserved.
"""Sample the resident memory of a running training or demo process from
outside.

Every ``--interval`` seconds, writes one CSV row: wall time, the progress
(the last training iteration logged by mmengine, parsed from the run's log
file, or with ``--track-txt`` the frames in a demo's ``NAME_track.txt``),
the process's current RSS (``VmRSS``) and peak RSS (``VmHWM``), and the
summed RSS of its child processes (dataloader workers, ffmpeg). Stops when
the process exits. Pair it with ``tools/train.py`` started in the
background::

    python tools/train.py CONFIG --work-dir W > W/train_stdout.log 2>&1 &
    python tools/analysis/monitor_rss.py --pid $! \\
        --log W/train_stdout.log --out W/rss.csv

or with the demo on a long video, then plot RSS against frames::

    python tools/demo/demo_track.py --video long.avi --bbox X,Y,W,H \\
        --out-dir O &
    python tools/analysis/monitor_rss.py --pid $! \\
        --track-txt O/long_track.txt --out O/rss.csv
    python tools/analysis/monitor_rss.py --plot before.csv O/rss.csv \\
        --labels before after --png rss.png

Linux only (reads ``/proc``).
"""
import argparse
import csv
import os
import re
import time
from typing import Dict, List, Optional

_ITER = re.compile(r'Iter\(train\) \[\s*(\d+)/')


def proc_status(pid: int) -> Optional[Dict[str, float]]:
    """VmRSS and VmHWM of ``pid`` in MiB, or None once it has exited."""
    try:
        with open(f'/proc/{pid}/status') as f:
            lines = f.readlines()
    except (FileNotFoundError, ProcessLookupError):
        return None
    out = {}
    for line in lines:
        key, _, value = line.partition(':')
        if key in ('VmRSS', 'VmHWM'):
            out[key] = int(value.split()[0]) / 1024.
    return out if len(out) == 2 else None


def children(pid: int) -> List[int]:
    """Direct children of ``pid`` (dataloader workers)."""
    path = f'/proc/{pid}/task/{pid}/children'
    try:
        with open(path) as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        return []


def last_iter(log_file: str) -> int:
    """The last ``Iter(train) [N/...]`` in the log, 0 if none yet."""
    try:
        with open(log_file, 'rb') as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 65536))
            tail = f.read().decode('utf-8', errors='replace')
    except FileNotFoundError:
        return 0
    found = _ITER.findall(tail)
    return int(found[-1]) if found else 0


def frames_in(track_txt: str) -> int:
    """Frames written to a demo's track file so far (one object assumed:
    data lines minus the header)."""
    try:
        with open(track_txt, 'rb') as f:
            return max(sum(1 for _ in f) - 1, 0)
    except FileNotFoundError:
        return 0


def plot(csvs: List[str], labels: List[str], png: str) -> None:
    """RSS (MiB) against progress (column 2) of each CSV, one line each."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4))
    for path, label in zip(csvs, labels):
        with open(path) as f:
            rows = list(csv.DictReader(f))
        x_key = [k for k in rows[0] if k in ('iter', 'frame')][0]
        ax.plot([float(r[x_key]) for r in rows],
                [float(r['rss_mb']) for r in rows],
                label=f'{label} (peak '
                f'{max(float(r["rss_mb"]) for r in rows):.0f} MiB)')
    ax.set_xlabel(x_key)
    ax.set_ylabel('RSS (MiB)')
    ax.set_ylim(bottom=0)
    ax.grid(alpha=.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(png, dpi=100)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--pid', type=int)
    parser.add_argument('--log', help='the run\'s log file (training)')
    parser.add_argument(
        '--track-txt', help='a demo\'s NAME_track.txt (frames so far)')
    parser.add_argument('--out', help='CSV to write')
    parser.add_argument('--interval', type=float, default=15.)
    parser.add_argument(
        '--plot', nargs='+', help='plot these CSVs instead of sampling')
    parser.add_argument('--labels', nargs='+', help='one per --plot CSV')
    parser.add_argument('--png', help='the plot to write')
    args = parser.parse_args()
    if args.plot:
        if not args.png:
            parser.error('--plot needs --png')
        args.labels = args.labels or args.plot
        if len(args.labels) != len(args.plot):
            parser.error('give one --labels entry per --plot CSV')
    elif args.pid is None or args.out is None or \
            (args.log is None) == (args.track_txt is None):
        parser.error('sampling needs --pid, --out and one of --log, '
                     '--track-txt')
    return args


def main() -> None:
    args = parse_args()
    if args.plot:
        plot(args.plot, args.labels, args.png)
        return
    if proc_status(args.pid) is None:
        raise ProcessLookupError(f'no running process with pid {args.pid}')
    with open(args.out, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow([
            'unix_time', 'frame' if args.track_txt else 'iter', 'rss_mb',
            'peak_rss_mb', 'children_rss_mb'
        ])
        while True:
            status = proc_status(args.pid)
            if status is None:
                break
            kids = [proc_status(c) for c in children(args.pid)]
            kids_rss = sum(k['VmRSS'] for k in kids if k is not None)
            writer.writerow([
                round(time.time(), 1),
                frames_in(args.track_txt)
                if args.track_txt else last_iter(args.log),
                round(status['VmRSS'], 1),
                round(status['VmHWM'], 1),
                round(kids_rss, 1)
            ])
            f.flush()
            time.sleep(args.interval)


if __name__ == '__main__':
    main()
