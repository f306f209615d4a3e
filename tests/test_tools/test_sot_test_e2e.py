# Copyright (c) mmtao contributors. All rights reserved.
"""A tiny synthetic benchmark through tools/test.py, 1 and 2 processes.

The AO / SR printed by tools/test.py are checked against values computed
here with numpy from the files tools/test.py wrote and the ground truth on
disk (official GOT-10k semantics: frames after the first whose target is
visible; IoU of x,y,w,h boxes).
"""
import glob
import os.path as osp
import re
import socket
import sys

import numpy as np
import pytest

from tool_runner import TINY_CFG, make_synthetic_benchmark
from tool_runner import run_tool as _run
from tool_runner import save_seeded_tracker

CFG = TINY_CFG


@pytest.fixture(scope='module')
def bench(tmp_path_factory):
    root = tmp_path_factory.mktemp('sot_e2e')
    data = make_synthetic_benchmark(
        str(root / 'val'), num_frames=8, seed=7, img_size=(128, 96))
    # a seeded random tiny tracker saved as a plain state-dict checkpoint
    ckpt = save_seeded_tracker(CFG, str(root / 'tiny.pth'))
    return data, ckpt, root


def _xywh_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ax2, ay2 = a[:, 0] + a[:, 2], a[:, 1] + a[:, 3]
    bx2, by2 = b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    iw = np.clip(np.minimum(ax2, bx2) - np.maximum(a[:, 0], b[:, 0]), 0,
                 None)
    ih = np.clip(np.minimum(ay2, by2) - np.maximum(a[:, 1], b[:, 1]), 0,
                 None)
    inter = iw * ih
    union = a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0)


def _metrics(log: str) -> dict:
    found = dict(re.findall(r'got10k/(AO|SR0\.5|SR0\.75): ([0-9.]+)', log))
    assert set(found) == {'AO', 'SR0.5', 'SR0.75'}, log[-2000:]
    return {k: float(v) for k, v in found.items()}


def _results(work_dir: str) -> dict:
    out = {}
    for f in sorted(glob.glob(osp.join(work_dir, '**', '*_001.txt'),
                              recursive=True)):
        out[osp.basename(osp.dirname(f))] = np.loadtxt(
            f, delimiter=',', ndmin=2)
    return out


@pytest.fixture(scope='module')
def single(bench):
    data, ckpt, root = bench
    work = str(root / 'work1')
    log = _run([
        sys.executable, 'tools/test.py', CFG, ckpt, '--work-dir', work,
        '--cfg-options', f'test_dataloader.dataset.data_root={data}'
    ])
    return log, work


def test_metrics_printed_and_match_files(bench, single):
    data, _, _ = bench
    log, work = single
    metrics = _metrics(log)
    results = _results(work)
    seqs = open(osp.join(data, 'list.txt')).read().split()
    assert sorted(results) == sorted(seqs)
    ious = []
    for seq in seqs:
        gt = np.loadtxt(osp.join(data, seq, 'groundtruth.txt'),
                        delimiter=',', ndmin=2)
        absent = np.loadtxt(osp.join(data, seq, 'absence.label'), ndmin=1)
        pred = results[seq]
        assert pred.shape == gt.shape  # one x,y,w,h line a frame
        # frame 0 is the initialisation: the ground-truth box itself
        np.testing.assert_allclose(pred[0], gt[0], atol=0.02)
        visible = (absent[1:] == 0)
        ious.append(_xywh_iou(pred[1:], gt[1:])[visible])
        # presence scores and times next to the boxes
        d = osp.dirname(glob.glob(
            osp.join(work, '**', f'{seq}_001.txt'), recursive=True)[0])
        assert len(open(osp.join(d, f'{seq}_time.txt')).read().split()) \
            == len(gt)
        conf = glob.glob(osp.join(d, f'{seq}_001_confidence.value'))
        assert conf and len(open(conf[0]).read().split()) == len(gt)
    ious = np.concatenate(ious)
    # values are printed with 4 decimals
    assert metrics['AO'] == pytest.approx(ious.mean(), abs=1e-4)
    assert metrics['SR0.5'] == pytest.approx((ious > 0.5).mean(), abs=1e-4)
    assert metrics['SR0.75'] == pytest.approx((ious > 0.75).mean(),
                                              abs=1e-4)
    assert glob.glob(osp.join(work, '**', 'got10k_submission.zip'),
                     recursive=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_two_processes_equal_one(bench, single):
    data, ckpt, root = bench
    log1, work1 = single
    work2 = str(root / 'work2')
    log2 = _run([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
        f'--master_port={_free_port()}', 'tools/test.py', CFG, ckpt,
        '--work-dir', work2, '--launcher', 'pytorch', '--cfg-options',
        f'test_dataloader.dataset.data_root={data}'
    ],
                env=dict(OMP_NUM_THREADS='1'))
    assert _metrics(log2) == _metrics(log1)
    r1, r2 = _results(work1), _results(work2)
    assert sorted(r1) == sorted(r2)
    for seq in r1:
        np.testing.assert_allclose(r2[seq], r1[seq], atol=1e-3)
