# Copyright (c) mmtao contributors. All rights reserved.
"""Sample the resident memory of a running training process from outside.

Every ``--interval`` seconds, writes one CSV row: wall time, the last
training iteration logged by mmengine (parsed from the run's log file), the
process's current RSS (``VmRSS``) and peak RSS (``VmHWM``), and the summed
RSS of its child processes (dataloader workers). Stops when the process
exits. Pair it with ``tools/train.py`` started in the background::

    python tools/train.py CONFIG --work-dir W > W/train_stdout.log 2>&1 &
    python tools/analysis/monitor_rss.py --pid $! \\
        --log W/train_stdout.log --out W/rss.csv

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


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--pid', type=int, required=True)
    parser.add_argument('--log', required=True, help='the run\'s log file')
    parser.add_argument('--out', required=True, help='CSV to write')
    parser.add_argument('--interval', type=float, default=15.)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if proc_status(args.pid) is None:
        raise ProcessLookupError(f'no running process with pid {args.pid}')
    with open(args.out, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow([
            'unix_time', 'iter', 'rss_mb', 'peak_rss_mb', 'children_rss_mb'
        ])
        while True:
            status = proc_status(args.pid)
            if status is None:
                break
            kids = [proc_status(c) for c in children(args.pid)]
            kids_rss = sum(k['VmRSS'] for k in kids if k is not None)
            writer.writerow([
                round(time.time(), 1),
                last_iter(args.log),
                round(status['VmRSS'], 1),
                round(status['VmHWM'], 1),
                round(kids_rss, 1)
            ])
            f.flush()
            time.sleep(args.interval)


if __name__ == '__main__':
    main()
