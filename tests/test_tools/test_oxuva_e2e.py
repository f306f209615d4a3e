# Copyright (c) mmtao contributors. All rights reserved.
"""OxUvA end to end through tools/test.py: a tiny fixture in the official
layout (12-column annotations, a task with init_frame > 0, labels at 1 Hz),
the OxUvA dataset config and a seeded random tiny tracker.

The tracker is run twice. The first run has no annotation file (like the
test split): it writes the prediction CSVs and computes nothing. From those
files the test labels the 7 frames of the 1 Hz grid so that, at a presence
threshold between the 5th and 6th highest score, the counts are exactly
TP 3, FP 2, FN 1, TN 1 (a label equal to the predicted box is a hit). The
second run, with those labels, must then print the hand-computed
TPR 3/4, TNR 1/3, GM 1/2 and MaxGM sqrt(9/32): from (TNR, TPR) = (1/3, 3/4)
towards (1, 0) the product (1/3 + 2t/3) * 3/4 * (1 - t) peaks at t = 1/4
with value 9/32. Switching frames to present in score order traces
(FPR, TPR) = (0, 0), (0, 3/4), (2/3, 3/4), (2/3, 1), (1, 1): AUC 5/6.
"""
import csv
import math
import os
import os.path as osp
import re
import sys

import numpy as np
import pytest

from tool_runner import REPO_ROOT, run_tool, save_seeded_tracker

CFG = osp.join(REPO_ROOT, 'tests/data/configs/tiny_tao_oxuva.py')
# (video, object, init_frame, last_frame, number of frames in the video)
TASKS = [('vid0000', 'obj0001', 60, 180, 181), ('vid0001', 'obj0000', 0, 90,
                                                 91)]
INIT_BOX = (0.25, 0.5, 0.3, 0.6)  # xmin, xmax, ymin, ymax


def _write_video(folder: str, num_frames: int, seed: int) -> None:
    """Textured 64x48 frames with a bright square drifting right."""
    import cv2
    os.makedirs(folder)
    rng = np.random.default_rng(seed)
    background = rng.integers(0, 120, (48, 64, 3), dtype=np.uint8)
    for t in range(num_frames):
        img = background.copy()
        x = 16 + (t // 10) % 24
        img[14:29, x:x + 16] = (40, 200, 230)
        cv2.imwrite(osp.join(folder, f'{t:06d}.jpeg'), img)


def _read_predictions(path: str) -> dict:
    """{frame_num: (present, score, (xmin, xmax, ymin, ymax))}, accepting
    only the boolean words of the toolkit's loader."""
    words = dict(true=True, false=False)
    out = {}
    with open(path) as f:
        for row in csv.reader(f):
            assert len(row) == 9, row
            out[int(row[2])] = (words[row[3]], float(row[4]),
                                tuple(float(v) for v in row[5:]))
    return out


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp('oxuva_e2e')
    data = str(root / 'oxuva')
    os.makedirs(osp.join(data, 'tasks'))
    with open(osp.join(data, 'tasks', 'dev.csv'), 'w') as f:
        for i, (vid, obj, init, last, n) in enumerate(TASKS):
            _write_video(osp.join(data, 'images', 'dev', vid), n, i)
            f.write(f'{vid},{obj},{init},{last},' +
                    ','.join(map(str, INIT_BOX)) + '\n')
    ckpt = save_seeded_tracker(CFG, str(root / 'tiny.pth'))
    opts = ['--cfg-options', f'test_dataloader.dataset.data_root={data}']

    # run 1: no labels (test split style): CSVs only
    work1 = str(root / 'work1')
    log1 = run_tool([sys.executable, 'tools/test.py', CFG, ckpt, '--work-dir',
                     work1] + opts, env=dict(OMP_NUM_THREADS='1'))
    assert 'oxuva/TPR' not in log1
    preds1 = {(vid, obj): _read_predictions(
        osp.join(work1, 'oxuva', f'{vid}_{obj}.csv'))
        for vid, obj, *_ in TASKS}

    # labels on the 1 Hz grid after each init frame, by score rank
    grid = [(vid, obj, t) for vid, obj, init, last, _ in TASKS
            for t in range(init + 30, last + 1, 30)]
    ranked = sorted(grid, key=lambda k: -preds1[k[:2]][k[2]][1])
    scores = [preds1[k[:2]][k[2]][1] for k in ranked]
    assert scores[4] > scores[5], f'tied scores {scores}'
    thr = (scores[4] + scores[5]) / 2
    # rank 1-3 present and hit (TP), 4-5 absent (FP), 6 present (FN: the
    # tracker reports absent), 7 absent (TN)
    present = [True, True, True, False, False, True, False]
    rows = []
    for (vid, obj, init, *_) in TASKS:
        rows.append((vid, obj, init, True, INIT_BOX))
    for (vid, obj, t), p in zip(ranked, present):
        x1, x2, y1, y2 = np.clip(preds1[vid, obj][t][2], 0, 1)
        assert x2 > x1 and y2 > y1, 'degenerate predicted box'
        rows.append((vid, obj, t, p, (x1, x2, y1, y2)))
    os.makedirs(osp.join(data, 'annotations'))
    with open(osp.join(data, 'annotations', 'dev.csv'), 'w') as f:
        for vid, obj, t, p, box in sorted(rows):
            box = box if p else (0., 0., 0., 0.)
            f.write(f'{vid},{obj},12,knife,false,false,{t},'
                    f'{"present" if p else "absent"},' +
                    ','.join('%.6f' % v for v in box) + '\n')

    # run 2: with the labels
    work2 = str(root / 'work2')
    log2 = run_tool([
        sys.executable, 'tools/test.py', CFG, ckpt, '--work-dir', work2
    ] + opts + [f'test_evaluator.score_thr={thr!r}'],
                    env=dict(OMP_NUM_THREADS='1'))
    return preds1, work2, log2, thr


def test_oxuva_metrics_printed(runs):
    _, _, log, _ = runs
    pattern = r'oxuva/(TPR|TNR|GM|MaxGM|AUC): ([0-9.]+)'
    found = {k: float(v) for k, v in re.findall(pattern, log)}
    assert found == pytest.approx(
        dict(TPR=0.75, TNR=1 / 3, GM=0.5, MaxGM=math.sqrt(9 / 32),
             AUC=5 / 6),
        abs=1e-4), log[-2000:]


def test_oxuva_csvs_absolute_frames_and_booleans(runs):
    preds1, work, _, thr = runs
    for vid, obj, init, last, _ in TASKS:
        pred = _read_predictions(osp.join(work, 'oxuva', f'{vid}_{obj}.csv'))
        # rows init_frame + 1 ... last_frame, keyed by absolute frame
        assert sorted(pred) == list(range(init + 1, last + 1))
        for t, (present, score, box) in pred.items():
            assert present == (score >= thr)
            assert box == pytest.approx(preds1[vid, obj][t][2], abs=2e-6)
