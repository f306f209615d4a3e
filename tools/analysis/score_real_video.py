# Copyright (c) mmtao contributors. All rights reserved.
"""Score trackers on mmtao's real-video benchmark (hand-read keyframes).

Reads the committed labels (``tools/misc/real_video/labels.csv``: pixel
boxes, ``present`` 0/1, on keyframes about every second; the first row of a
task is its init frame) and each tracker's predictions in OxUvA's CSV format
(``DIR/<video>_<object>.csv`` or ``DIR/oxuva/<video>_<object>.csv``: rows
``video,object,frame_num,present,score,xmin,xmax,ymin,ymax`` with
coordinates as fractions of the image, as ``tools/test.py`` writes them
through ``OxUvAMetric`` and ``tools/analysis/run_opencv_tracker.py`` on this
layout). Only the labelled keyframes after the init frame are scored:

* AO, SR0.5, SR0.75 (GOT-10k semantics, ``eval_got10k``): IoU of the
  predicted box on the keyframes where the object is present, whatever the
  tracker's presence call (a missing box counts as IoU 0); SR is the share
  of IoUs strictly above the threshold; pooled over all keyframes of all
  tasks (keyframe-weighted), and per task;
* TPR, TNR, MaxGM (OxUvA semantics, ``eval_oxuva``): present keyframes
  count as TP when reported present with IoU >= 0.5; absent keyframes as TN
  when reported absent. A frame is reported present iff the CSV says
  ``true`` and its score is ``>= --score-thr``;
* AO by object size: each present keyframe falls in a bin by
  ``r = sqrt(w * h) / sqrt(W * H)`` of its labelled box in a W x H frame:
  small ``r < 0.1`` (under ~55 px at 640x480), medium ``0.1 <= r < 0.25``,
  large ``r >= 0.25`` (over ~140 px at 640x480).

Example::

    python tools/analysis/score_real_video.py \\
        --results ours=work_dirs/rv_ours csrt=work_dirs/rv_csrt
    # the real-motion tuning split (prepare_real_video.py --set tune)
    python tools/analysis/score_real_video.py --set tune \\
        --results ours=work_dirs/rt_ours

The metric math is :mod:`mmtao.evaluation.functional`'s; this script only
selects the keyframes.
"""
import argparse
import csv
import json
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)
sys.path.insert(0, osp.join(REPO, 'tools', 'misc'))
from mmtao.evaluation.functional.eval_got10k import eval_got10k  # noqa: E402
from mmtao.evaluation.functional.eval_oxuva import eval_oxuva  # noqa: E402
from prepare_real_video import (SETS, load_labels,  # noqa: E402
                                load_manifest, set_files)

SIZE_BINS = (('small', 0.0, 0.1), ('medium', 0.1, 0.25), ('large', 0.25,
                                                            np.inf))


def load_ground_truth(manifest: dict, labels: List[dict]) -> List[dict]:
    """One dict per manifest task: ``name`` (``<video>_<object>``), ``size``
    (W, H), ``frames`` (K, ) keyframe numbers with the init frame first,
    ``present`` (K, ) bool and ``boxes`` (K, 4) xyxy pixels (NaN if
    absent)."""
    by_task: Dict[Tuple[str, str], List[dict]] = {}
    for r in labels:
        by_task.setdefault((r['video'], r['object']), []).append(r)
    tasks = []
    for t in manifest['tasks']:
        rows = sorted(by_task.get((t['video'], t['object']), []),
                      key=lambda r: r['frame'])
        if not rows or rows[0]['frame'] != t['init_frame']:
            raise ValueError(f'labels: task {t["video"]}_{t["object"]} '
                             f'has no label at its init frame '
                             f'{t["init_frame"]}')
        tasks.append(
            dict(
                name=f'{t["video"]}_{t["object"]}',
                size=tuple(manifest['videos'][t['video']]['size']),
                frames=np.array([r['frame'] for r in rows]),
                present=np.array([r['present'] for r in rows]),
                boxes=np.array([
                    r['box'] if r['present'] else [np.nan] * 4 for r in rows
                ], np.float64)))
    return tasks


def read_prediction_csv(path: str, size: Sequence[int]) -> Dict[int, tuple]:
    """frame -> (present, score, xyxy pixel box) of an OxUvA prediction
    CSV; a bad row is an error naming the file and line."""
    w, h = size
    out = {}
    with open(path, newline='') as f:
        for line_no, row in enumerate(csv.reader(f), 1):
            if not row:
                continue
            try:
                frame = int(row[2])
                present = row[3].strip().lower()
                score = float(row[4])
                x1, x2, y1, y2 = (float(v) for v in row[5:9])
            except (IndexError, ValueError):
                raise ValueError(
                    f'{path}:{line_no}: expected video,object,frame_num,'
                    'present,score,xmin,xmax,ymin,ymax') from None
            if present not in ('true', 'false'):
                raise ValueError(f'{path}:{line_no}: present must be true or'
                                 f' false, got {row[3]!r}')
            out[frame] = (present == 'true', score,
                          [x1 * w, y1 * h, x2 * w, y2 * h])
    return out


def find_prediction(results: str, name: str) -> str:
    for path in (osp.join(results, f'{name}.csv'),
                 osp.join(results, 'oxuva', f'{name}.csv')):
        if osp.isfile(path):
            return path
    raise FileNotFoundError(f'no prediction CSV for {name} in {results} '
                            '(nor in its oxuva/ folder)')


def align(task: dict, preds: Dict[int, tuple], where: str):
    """Predicted boxes (K, 4) and presence scores (K, ) on the task's
    keyframes (row 0, the init frame, gets the init box and score 1)."""
    boxes = np.zeros((len(task['frames']), 4))
    scores = np.zeros(len(task['frames']))
    boxes[0], scores[0] = task['boxes'][0], 1.
    for i, f in enumerate(task['frames'][1:], 1):
        if int(f) not in preds:
            raise KeyError(f'{where}: no prediction for keyframe {f}')
        present, score, box = preds[int(f)]
        box = np.asarray(box, np.float64)
        boxes[i] = box if np.isfinite(box).all() else 0.
        scores[i] = score if present else -np.inf
    return boxes, scores


def size_bin_masks(task: dict) -> Dict[str, np.ndarray]:
    """Per size bin, (K, ) bool: present keyframes whose box is in it."""
    w, h = task['size']
    b = np.nan_to_num(task['boxes'])
    r = np.sqrt(np.maximum(b[:, 2] - b[:, 0], 0) *
                np.maximum(b[:, 3] - b[:, 1], 0)) / np.sqrt(w * h)
    return {
        name: task['present'] & (r >= lo) & (r < hi)
        for name, lo, hi in SIZE_BINS
    }


def score_tracker(tasks: List[dict], results: str,
                  score_thr: float = 0.5) -> Dict:
    """Pooled, per-task and per-size scores of one tracker's result dir."""
    preds, scores = [], []
    for t in tasks:
        path = find_prediction(results, t['name'])
        b, s = align(t, read_prediction_csv(path, t['size']), path)
        preds.append(b)
        scores.append(s)

    def summary(idx: Sequence[int]) -> Dict:
        sel = [tasks[i] for i in idx]
        got = eval_got10k([preds[i] for i in idx], [t['boxes'] for t in sel],
                          [t['present'] for t in sel],
                          [t['size'] for t in sel])
        with np.errstate(invalid='ignore'):  # -inf scores of absent calls
            ox = eval_oxuva([preds[i] for i in idx],
                            [scores[i] for i in idx],
                            [t['boxes'] for t in sel],
                            [t['present'] for t in sel],
                            [t['size'] for t in sel],
                            score_thr=score_thr)
        out = {k: got[k] for k in ('AO', 'SR0.5', 'SR0.75', 'num_frames')}
        out.update({k: ox[k] for k in ('TPR', 'TNR', 'MaxGM')})
        out['num_absent'] = ox['TN'] + ox['FP']
        return out

    res = dict(pooled=summary(range(len(tasks))),
               per_task={t['name']: summary([i])
                         for i, t in enumerate(tasks)},
               by_size={})
    for name, _, _ in SIZE_BINS:
        masks = [size_bin_masks(t)[name] for t in tasks]
        got = eval_got10k(preds, [t['boxes'] for t in tasks], masks,
                          [t['size'] for t in tasks])
        res['by_size'][name] = {
            k: got[k]
            for k in ('AO', 'SR0.5', 'SR0.75', 'num_frames')
        }
    return res


def fmt(v: float) -> str:
    return '–' if v is None or (isinstance(v, float) and np.isnan(v)) \
        else f'{v:.3f}'


def markdown(all_res: Dict[str, Dict], tasks: List[dict]) -> str:
    lines = [
        '| task | tracker | AO | SR0.5 | SR0.75 | TPR | TNR | '
        'present (absent) keyframes |', '|---|---|---|---|---|---|---|---|'
    ]
    for t in [t['name'] for t in tasks] + ['pooled']:
        for name, res in all_res.items():
            r = res['pooled'] if t == 'pooled' else res['per_task'][t]
            label = f'**{t}**' if t == 'pooled' else t
            lines.append(
                f'| {label} | {name} | {fmt(r["AO"])} | {fmt(r["SR0.5"])} | '
                f'{fmt(r["SR0.75"])} | {fmt(r["TPR"])} | {fmt(r["TNR"])} | '
                f'{r["num_frames"]} ({r["num_absent"]}) |')
    lines += ['', '| tracker | ' + ' | '.join(
        f'AO {n} ({all_res[next(iter(all_res))]["by_size"][n]["num_frames"]})'
        for n, _, _ in SIZE_BINS) + ' |', '|---|---|---|---|']
    for name, res in all_res.items():
        lines.append(f'| {name} | ' + ' | '.join(
            fmt(res['by_size'][n]['AO']) for n, _, _ in SIZE_BINS) + ' |')
    return '\n'.join(lines)


def compact_markdown(all_res: Dict[str, Dict], tasks: List[dict]) -> str:
    """Pooled scores (one row per tracker) and per-task AO / SR0.5 (one
    column per tracker)."""
    names = list(all_res)
    sizes = [n for n, _, _ in SIZE_BINS]
    lines = [
        '| tracker | AO | SR0.5 | SR0.75 | TPR | TNR | ' +
        ' | '.join(f'AO {n}' for n in sizes) + ' |',
        '|---|' + '---|' * (5 + len(sizes))
    ]
    for name, res in all_res.items():
        p = res['pooled']
        lines.append(f'| {name} | ' + ' | '.join(
            fmt(p[k]) for k in ('AO', 'SR0.5', 'SR0.75', 'TPR', 'TNR')) +
            ' | ' + ' | '.join(fmt(res['by_size'][n]['AO'])
                               for n in sizes) + ' |')
    lines += [
        '', '| task | ' + ' | '.join(f'AO {n}' for n in names) + ' | ' +
        ' | '.join(f'SR0.5 {n}' for n in names) + ' |',
        '|---|' + '---|' * (2 * len(names))
    ]
    for t in tasks:
        r = [all_res[n]['per_task'][t['name']] for n in names]
        lines.append(f'| {t["name"]} | ' +
                     ' | '.join(fmt(x['AO']) for x in r) + ' | ' +
                     ' | '.join(fmt(x['SR0.5']) for x in r) + ' |')
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> Dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--results', nargs='+', required=True,
                        metavar='NAME=DIR',
                        help='prediction CSV folders, one per tracker')
    parser.add_argument('--set', default='bench', choices=sorted(SETS),
                        help='bench: the benchmark; tune: the real-motion '
                        'tuning split (its manifest and labels)')
    parser.add_argument('--manifest', help='default: the set\'s')
    parser.add_argument('--labels', help='default: the set\'s')
    parser.add_argument('--score-thr', type=float, default=0.5)
    parser.add_argument('--out', help='also write the scores as JSON here')
    args = parser.parse_args(argv)
    manifest_path, labels_path = set_files(args.set)
    tasks = load_ground_truth(load_manifest(args.manifest or manifest_path),
                              load_labels(args.labels or labels_path))
    all_res = {}
    for item in args.results:
        name, sep, path = item.partition('=')
        if not sep:
            name, path = osp.basename(osp.normpath(item)), item
        all_res[name] = score_tracker(tasks, path, args.score_thr)
    print(markdown(all_res, tasks))
    print()
    print(compact_markdown(all_res, tasks))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(all_res, f, indent=1, default=float)
    return all_res


if __name__ == '__main__':
    main()
