# Copyright (c) mmtao contributors. All rights reserved.
"""Run an OpenCV tracker on a GOT-10k-layout folder and write raw results
in the GOT-10k submission layout, comparable with mmtao's
(``OUT/<seq>/<seq>_001.txt``, ``<seq>_time.txt``; plot them with
``tools/analysis/plot_sot_curves.py``).

The trackers available depend on the installed OpenCV: ``MIL`` is in the
main ``opencv-python`` wheel; ``CSRT``, ``KCF`` and the ``legacy`` ones
(``TLD``, ``MedianFlow``, ``MOSSE``, ``Boosting``) only in
``opencv-contrib-python``. ``--list`` prints what this cv2 has. (Installing
opencv-contrib-python beside opencv-python is fragile: any later
``opencv-python*`` install overwrites cv2 and removes them.)

Example::

    python tools/analysis/run_opencv_tracker.py data/synthetic/val \\
        --tracker MIL --out work_dirs/opencv_mil
"""
import argparse
import os.path as osp
import time
from typing import Callable, Dict, List, Optional

import cv2
import numpy as np
from mmengine.utils import ProgressBar, mkdir_or_exist

from mmtao.datasets.annotation_io import read_box_file, read_name_list

_CANDIDATES = {
    'CSRT': ('TrackerCSRT_create', ),
    'KCF': ('TrackerKCF_create', ),
    'MIL': ('TrackerMIL_create', 'TrackerMIL.create'),
    'TLD': ('legacy.TrackerTLD_create', ),
    'MedianFlow': ('legacy.TrackerMedianFlow_create', ),
    'MOSSE': ('legacy.TrackerMOSSE_create', ),
    'Boosting': ('legacy.TrackerBoosting_create', ),
}


def _lookup(path: str) -> Optional[Callable]:
    obj = cv2
    for part in path.split('.'):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def available_trackers() -> Dict[str, Callable]:
    """Tracker factories this cv2 provides, by name."""
    out = {}
    for name, paths in _CANDIDATES.items():
        for p in paths:
            factory = _lookup(p)
            if factory is not None:
                out[name] = factory
                break
    return out


def track_sequence(factory: Callable, frames: List[str],
                   init_xywh: np.ndarray):
    """Boxes (x, y, w, h) and seconds per frame of one sequence.

    Frame 0 returns the initial box. When the tracker reports a failure the
    previous box is kept (the GOT-10k format needs a box every frame).
    """
    tracker = factory()
    img = cv2.imread(frames[0])
    if img is None:
        raise FileNotFoundError(f'cannot read {frames[0]}')
    box = tuple(int(round(v)) for v in init_xywh)
    t0 = time.perf_counter()
    tracker.init(img, box)
    boxes, times = [np.asarray(init_xywh, np.float64)], [
        time.perf_counter() - t0
    ]
    for path in frames[1:]:
        img = cv2.imread(path)
        if img is None:
            raise FileNotFoundError(f'cannot read {path}')
        t0 = time.perf_counter()
        ok, new_box = tracker.update(img)
        times.append(time.perf_counter() - t0)
        boxes.append(
            np.asarray(new_box, np.float64) if ok else boxes[-1].copy())
    return np.stack(boxes), np.asarray(times)


def main(argv: Optional[List[str]] = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_root', nargs='?', help='GOT-10k layout folder')
    parser.add_argument('--tracker', default='MIL', help='tracker name')
    parser.add_argument('--out', help='output folder')
    parser.add_argument(
        '--list', action='store_true', help='list the available trackers')
    args = parser.parse_args(argv)
    trackers = available_trackers()
    if args.list:
        print('available OpenCV trackers:', ', '.join(sorted(trackers)))
        return ''
    if not args.data_root or not args.out:
        parser.error('data_root and --out are required')
    if args.tracker not in trackers:
        raise SystemExit(
            f'OpenCV {cv2.__version__} has no {args.tracker} tracker; '
            f'available: {sorted(trackers)} (CSRT/KCF/legacy need '
            'opencv-contrib-python)')
    seqs = read_name_list(osp.join(args.data_root, 'list.txt'))
    bar = ProgressBar(len(seqs))
    for seq in seqs:
        seq_dir = osp.join(args.data_root, seq)
        gt = read_box_file(osp.join(seq_dir, 'groundtruth.txt'))
        frames = [
            osp.join(seq_dir, f'{i:08d}.jpg') for i in range(1, len(gt) + 1)
        ]
        boxes, times = track_sequence(trackers[args.tracker], frames, gt[0])
        out_dir = osp.join(args.out, seq)
        mkdir_or_exist(out_dir)
        np.savetxt(
            osp.join(out_dir, f'{seq}_001.txt'),
            boxes,
            fmt='%.4f',
            delimiter=',')
        np.savetxt(
            osp.join(out_dir, f'{seq}_time.txt'),
            np.maximum(times, 1e-6),
            fmt='%.8f')
        bar.update()
    print(f'\n{args.tracker} results written to {args.out}')
    return args.out


if __name__ == '__main__':
    main()
