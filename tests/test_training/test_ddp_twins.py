# Copyright (c) mmtao contributors. All rights reserved.
"""Every shipped training config trains under 2-process gloo DDP as shipped
(its own find_unused_parameters / DDP settings), checked on tiny twins (see
ddp_twins.py): a few iterations, both ranks end with identical weights."""
import functools
import glob
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from conftest import REPO_ROOT

SHIPPED_TRAINING_CONFIGS = {
    'configs/tao/tao_mbv2-fpn_320_synthetic.py',
    'configs/tao/tao_r50-fpn_coco-vid-ytvos.py',
    'configs/tao/tao_r50-fpn_coco-vid-ytvos_center.py',
    'configs/tao/tao_r50-fpn_coco-vid-ytvos_mean-diff.py',
    'configs/tao/tao_r50-fpn_coco-vid-ytvos_mean-pos.py',
    'configs/tao/tao_r50-fpn_coco-vid-ytvos_no-det-init.py',
    'configs/tao/tao_r50-fpn_coco-vid-ytvos_no-joint-det.py',
    'projects/BoxOnlyTracker/configs/box-only-tracker_r50-fpn_coco-vid-ytvos'
    '.py',
}


@functools.lru_cache()
def _training_configs() -> list:
    """Every shipped config with a training schedule (a train loop and a
    train dataloader), found on disk: a new one gets its twin too."""
    found = []
    for path in sorted(
            glob.glob(osp.join(REPO_ROOT, 'configs/tao/*.py')) +
            glob.glob(osp.join(REPO_ROOT, 'projects/*/configs/*.py'))):
        cfg = Config.fromfile(path)
        train_cfg = cfg.get('train_cfg') or {}
        if train_cfg.get('type') == 'IterBasedTrainLoop' and cfg.get(
                'train_dataloader'):
            found.append(osp.relpath(path, REPO_ROOT))
    return found


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_the_shipped_training_configs_are_found():
    assert SHIPPED_TRAINING_CONFIGS <= set(_training_configs())


@pytest.fixture(scope='module')
def world(tiny_world_root) -> str:
    return osp.join(tiny_world_root, 'train')


def test_shipped_configs_train_under_ddp(world, tmp_path):
    out = str(tmp_path / 'runs')
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run',
         '--nproc_per_node', '2', '--master_port', str(_free_port()),
         'tests/test_training/ddp_twins.py', world + '/', out] +
        [osp.join(REPO_ROOT, c) for c in _training_configs()],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=1200, env=env)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    assert 'not used in producing loss' not in log
    for config in _training_configs():
        name = osp.splitext(osp.basename(config))[0]
        ranks = [
            torch.load(osp.join(out, name, f'rank{r}.pth'), weights_only=True)
            for r in (0, 1)
        ]
        assert ranks[0].keys() == ranks[1].keys()
        for key, value in ranks[0].items():
            assert torch.equal(value, ranks[1][key]), (config, key)
        # training happened: the checkpoint of the last iteration exists
        assert osp.isfile(osp.join(out, name, 'iter_3.pth')), config


def test_dist_train_uses_the_venv_python(tmp_path):
    """dist_train.sh runs .venv/bin/python without an activated venv (no
    python on PATH at all here)."""
    venv_python = osp.join(REPO_ROOT, '.venv', 'bin', 'python')
    if not os.access(venv_python, os.X_OK):
        pytest.skip('no .venv in this checkout')
    bash = shutil.which('bash')
    env = {
        k: v
        for k, v in os.environ.items() if k not in ('PYTHON', 'VIRTUAL_ENV')
    }
    env['PATH'] = '/nonexistent'
    proc = subprocess.run(
        [bash, 'tools/dist_train.sh', str(tmp_path / 'missing.py'), '1'],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert 'command not found' not in proc.stderr
    assert 'error: config file not found:' in proc.stderr
    assert proc.returncode != 0
