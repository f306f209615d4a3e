# Copyright (c) mmtao contributors. All rights reserved.
"""Config inheritance from mmdet:: and tools/train.py + tools/test.py."""
import glob
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config

from conftest import REPO_ROOT

TINY_CFG = osp.join(REPO_ROOT, 'tests/data/configs/tiny_mask-rcnn_coco.py')


def _data_options(root: str) -> list:
    return [
        f'train_dataloader.dataset.data_root={root}/',
        f'val_dataloader.dataset.data_root={root}/',
        f'test_dataloader.dataset.data_root={root}/',
        f'val_evaluator.ann_file={root}/annotations/coco.json',
        f'test_evaluator.ann_file={root}/annotations/coco.json',
    ]


def _run(args: list) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable] + args,
                          cwd=REPO_ROOT,
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def test_config_inherits_mmdet():
    cfg = Config.fromfile(TINY_CFG)
    # from mmdet's base: the model type and the RoI head layout
    assert cfg.model.type == 'MaskRCNN'
    assert cfg.model.roi_head.type == 'StandardRoIHead'
    assert cfg.model.rpn_head.anchor_generator.strides == [4, 8, 16, 32, 64]
    # overridden here
    assert cfg.model.backbone.depth == 18
    assert cfg.model.roi_head.bbox_head.num_classes == 2
    assert cfg.default_scope == 'mmtao'


@pytest.fixture(scope='module')
def trained(tiny_coco_root, tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('train'))
    proc = _run(['tools/train.py', TINY_CFG, '--work-dir', work_dir,
                 '--cfg-options'] + _data_options(tiny_coco_root))
    return work_dir, proc


def test_train_two_iterations(trained):
    work_dir, proc = trained
    log = proc.stdout + proc.stderr
    assert 'Iter(train) [2/2]' in log
    assert osp.isfile(osp.join(work_dir, 'iter_2.pth'))
    assert open(osp.join(work_dir, 'last_checkpoint')).read().strip(
    ).endswith('iter_2.pth')


def test_test_tool_loads_trained_checkpoint(trained, tiny_coco_root,
                                            tmp_path):
    work_dir, _ = trained
    ckpt = osp.join(work_dir, 'iter_2.pth')
    out = str(tmp_path / 'results.pkl')
    proc = _run([
        'tools/test.py', TINY_CFG, ckpt, '--work-dir',
        str(tmp_path), '--out', out, '--cfg-options'
    ] + _data_options(tiny_coco_root))
    log = proc.stdout + proc.stderr
    assert 'Load checkpoint from' in log
    assert 'coco/bbox_mAP' in log
    assert osp.isfile(out)
    assert glob.glob(str(tmp_path / '*' / '*.log'))


def test_test_tool_rejects_wrong_checkpoint(tmp_path, tiny_coco_root):
    import torch
    bad = str(tmp_path / 'classifier.pth')
    torch.save({'state_dict': {'fc.weight': torch.zeros(3, 3)}}, bad)
    proc = subprocess.run(
        [sys.executable, 'tools/test.py', TINY_CFG, bad, '--work-dir',
         str(tmp_path), '--cfg-options'] + _data_options(tiny_coco_root),
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0
    assert 'classifier.pth' in proc.stderr and 'does not fit' in proc.stderr
    missing = subprocess.run(
        [sys.executable, 'tools/test.py', TINY_CFG,
         str(tmp_path / 'nope.pth')],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert missing.returncode != 0
    assert 'checkpoint file not found' in missing.stderr
