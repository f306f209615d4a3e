# Copyright (c) mmtao contributors. All rights reserved.
"""Run an OpenCV tracker on a GOT-10k-layout folder and write raw results
in the GOT-10k submission layout, comparable with mmtao's
(``OUT/<seq>/<seq>_001.txt``, ``<seq>_time.txt``; plot them with
``tools/analysis/plot_sot_curves.py``).

On a folder in OxUvA's layout (``tasks/dev.csv``, ``images/dev/<video>/``:
the real-video benchmark of ``tools/misc/prepare_real_video.py``) it tracks
every task from its init frame to its last frame and writes OxUvA's
prediction CSVs ``OUT/<video>_<object>.csv`` (frames ``init+1 … last``,
``present`` = the tracker's success flag, score 1/0), as ``OxUvAMetric``
writes mmtao's; score them with ``tools/analysis/score_real_video.py``.

The trackers available depend on the installed OpenCV: ``MIL`` is in the
main ``opencv-python`` wheel; ``CSRT``, ``KCF`` and the ``legacy`` ones
(``TLD``, ``MedianFlow``, ``MOSSE``, ``Boosting``) only in
``opencv-contrib-python``. ``--list`` prints what this cv2 has. (Installing
opencv-contrib-python beside opencv-python is fragile: any later
``opencv-python*`` install overwrites cv2 and removes them.)

Each sequence also gets ``<seq>_001_confidence.value``: 1 where the
tracker reported success, 0 where it reported a failure (the previous box is
then repeated), so presence (TPR / TNR) can be scored as for mmtao.

CSRT and KCF need opencv-contrib, which must not share a venv with mmtao
(mmengine depends on opencv-python, which overwrites it): ``make
opencv-venv`` creates ``.venv-opencv`` with numpy, tqdm and
``opencv-contrib-python-headless`` only, and this script runs there (it needs
nothing of mmtao but the annotation readers, loaded from the source file).
Example::

    .venv-opencv/bin/python tools/analysis/run_opencv_tracker.py \\
        data/world/val_unseen --tracker CSRT --out work_dirs/opencv_csrt
    .venv/bin/python tools/analysis/score_got10k_results.py \\
        data/world/val_unseen --results csrt=work_dirs/opencv_csrt
"""
import argparse
import importlib.util
import os
import os.path as osp
import time
from typing import Callable, Dict, List, Optional

import cv2
import numpy as np
from tqdm import tqdm


def _annotation_io():
    """mmtao's annotation readers, without importing mmtao (and so mmdet):
    this script also runs in the opencv-contrib venv."""
    path = osp.join(
        osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
        'mmtao', 'datasets', 'annotation_io.py')
    spec = importlib.util.spec_from_file_location('_mmtao_annotation_io',
                                                  path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_io = _annotation_io()
read_box_file, read_name_list = _io.read_box_file, _io.read_name_list

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
    """Boxes (x, y, w, h), seconds and success flags per frame.

    Frame 0 returns the initial box. When the tracker reports a failure the
    previous box is kept (the GOT-10k format needs a box every frame) and
    the flag is 0.
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
    oks = [1.0]
    for path in frames[1:]:
        img = cv2.imread(path)
        if img is None:
            raise FileNotFoundError(f'cannot read {path}')
        t0 = time.perf_counter()
        ok, new_box = tracker.update(img)
        times.append(time.perf_counter() - t0)
        boxes.append(
            np.asarray(new_box, np.float64) if ok else boxes[-1].copy())
        oks.append(float(bool(ok)))
    return np.stack(boxes), np.asarray(times), np.asarray(oks)


def run_oxuva_layout(factory: Callable,
                     data_root: str,
                     out: str,
                     name: str,
                     split: str = 'dev',
                     only: Optional[List[str]] = None) -> None:
    """Every task of ``tasks/<split>.csv`` (or those named in ``only``,
    ``<video>_<object>``) -> ``out/<video>_<object>.csv`` in OxUvA's
    prediction format (coordinates as fractions of the image)."""
    import csv
    with open(osp.join(data_root, 'tasks', f'{split}.csv'), newline='') as f:
        tasks = [row for row in csv.reader(f) if row]
    if only:
        missing = set(only) - {f'{r[0]}_{r[1]}' for r in tasks}
        if missing:
            raise ValueError(f'--tasks: no task {sorted(missing)} in '
                             f'{data_root}/tasks/{split}.csv')
        tasks = [r for r in tasks if f'{r[0]}_{r[1]}' in only]
    os.makedirs(out, exist_ok=True)
    for line_no, row in enumerate(tqdm(tasks, desc=name), 1):
        if len(row) != 8:
            raise ValueError(f'tasks/{split}.csv:{line_no}: expected video,'
                             'object,init_frame,last_frame,xmin,xmax,ymin,'
                             f'ymax, got {row}')
        video, obj = row[0], row[1]
        init, last = int(row[2]), int(row[3])
        x1, x2, y1, y2 = (float(v) for v in row[4:8])
        frames = [
            osp.join(data_root, 'images', split, video, f'{i:06d}.jpeg')
            for i in range(init, last + 1)
        ]
        img = cv2.imread(frames[0])
        if img is None:
            raise FileNotFoundError(f'cannot read {frames[0]}')
        h, w = img.shape[:2]
        init_xywh = np.array([x1 * w, y1 * h, (x2 - x1) * w, (y2 - y1) * h])
        boxes, _, oks = track_sequence(factory, frames, init_xywh)
        with open(osp.join(out, f'{video}_{obj}.csv'), 'w', newline='') as f:
            writer = csv.writer(f)
            for i in range(1, len(frames)):
                bx, by, bw, bh = boxes[i]
                writer.writerow([
                    video, obj, init + i, 'true' if oks[i] else 'false',
                    '%g' % oks[i], '%.6f' % (bx / w), '%.6f' % ((bx + bw) / w),
                    '%.6f' % (by / h), '%.6f' % ((by + bh) / h)
                ])


def main(argv: Optional[List[str]] = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'data_root', nargs='?',
        help='GOT-10k layout folder, or OxUvA layout (tasks/dev.csv)')
    parser.add_argument('--tracker', default='MIL', help='tracker name')
    parser.add_argument('--out', help='output folder')
    parser.add_argument(
        '--list', action='store_true', help='list the available trackers')
    parser.add_argument(
        '--tasks', nargs='+',
        help='OxUvA layout: only these tasks (<video>_<object>)')
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
    if osp.isfile(osp.join(args.data_root, 'tasks', 'dev.csv')):
        run_oxuva_layout(trackers[args.tracker], args.data_root, args.out,
                         args.tracker, only=args.tasks)
        print(f'\n{args.tracker} OxUvA predictions written to {args.out}')
        return args.out
    seqs = read_name_list(osp.join(args.data_root, 'list.txt'))
    for seq in tqdm(seqs, desc=args.tracker):
        seq_dir = osp.join(args.data_root, seq)
        gt = read_box_file(osp.join(seq_dir, 'groundtruth.txt'))
        frames = [
            osp.join(seq_dir, f'{i:08d}.jpg') for i in range(1, len(gt) + 1)
        ]
        boxes, times, oks = track_sequence(trackers[args.tracker], frames,
                                           gt[0])
        out_dir = osp.join(args.out, seq)
        os.makedirs(out_dir, exist_ok=True)
        np.savetxt(
            osp.join(out_dir, f'{seq}_001.txt'),
            boxes,
            fmt='%.4f',
            delimiter=',')
        np.savetxt(
            osp.join(out_dir, f'{seq}_time.txt'),
            np.maximum(times, 1e-6),
            fmt='%.8f')
        np.savetxt(
            osp.join(out_dir, f'{seq}_001_confidence.value'), oks, fmt='%g')
    print(f'\n{args.tracker} results written to {args.out}')
    return args.out


if __name__ == '__main__':
    main()
