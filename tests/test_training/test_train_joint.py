# Copyright (c) mmtao contributors. All rights reserved.
"""Joint detection + tracking training end to end through tools/train.py,
and fault tolerance: a run killed mid-way resumes with ``--resume`` from its
last checkpoint without losing or repeating iterations."""
import glob
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import time

import pytest

from conftest import REPO_ROOT

TINY_CFG = osp.join(REPO_ROOT, 'tests/test_training/configs/tiny_tao_joint.py')
_ITER = re.compile(r'Iter\(train\) \[\s*(\d+)/(\d+)\]')


@pytest.fixture(scope='module')
def world(tmp_path_factory) -> str:
    """A tiny synthetic world (2 videos x 10 frames, 96x72)."""
    root = str(tmp_path_factory.mktemp('tiny_world') / 'train')
    proc = subprocess.run([
        sys.executable, 'tools/misc/make_synthetic_world.py', '--out', root,
        '--num-videos', '2', '--num-frames', '10', '--seed', '0',
        '--img-size', '96', '72'
    ], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return root


def _cmd(world: str, work_dir: str, max_iters: int, interval: int,
         resume: bool = False) -> list:
    options = [f'train_dataloader.dataset.datasets.{i}.data_root={world}/'
               for i in range(3)]
    options += [
        f'train_cfg.max_iters={max_iters}',
        f'default_hooks.checkpoint.interval={interval}'
    ]
    cmd = [sys.executable, 'tools/train.py', TINY_CFG, '--work-dir', work_dir]
    if resume:
        cmd.append('--resume')
    return cmd + ['--cfg-options'] + options


def _env() -> dict:
    # one OpenMP thread: the machine is shared by parallel test runs
    return dict(os.environ, OMP_NUM_THREADS='1')


def _iters(log: str) -> list:
    return [int(m.group(1)) for m in _ITER.finditer(log)]


def test_one_joint_iteration(world, tmp_path):
    """One iteration with a detection image and a tracking pair: both loss
    families are logged and a checkpoint is written."""
    work_dir = str(tmp_path)
    proc = subprocess.run(
        _cmd(world, work_dir, max_iters=1, interval=1),
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
        env=_env())
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    line = [ln for ln in log.splitlines() if 'Iter(train) [1/1]' in ln]
    assert line, log[-3000:]
    for key in ('det_loss_rpn_cls', 'det_loss_cls', 'det_loss_mask',
                'track_loss_rpn_cls', 'track_loss_cls', 'track_loss_bbox',
                'track_loss_mask'):
        value = re.search(key + r': ([-\d.e+naif]+)', line[0])
        assert value, f'{key} missing from the log line {line[0]}'
        assert float(value.group(1)) == float(value.group(1))  # not NaN
    assert osp.isfile(osp.join(work_dir, 'iter_1.pth'))


def test_kill_and_resume(world, tmp_path):
    """SIGKILL a run after its first checkpoint; ``--resume`` starts at the
    iteration after the last checkpoint and runs every remaining iteration
    exactly once."""
    from mmtao.utils import load_checkpoint_file
    work_dir = str(tmp_path)
    max_iters, interval = 400, 3
    log_path = osp.join(work_dir, 'first.log')
    with open(log_path, 'w') as log_file:
        first = subprocess.Popen(
            _cmd(world, work_dir, max_iters, interval),
            cwd=REPO_ROOT, stdout=log_file, stderr=subprocess.STDOUT,
            env=_env(), start_new_session=True)
        deadline = time.time() + 300
        try:
            # kill once a checkpoint exists and training has gone past it
            while time.time() < deadline and first.poll() is None:
                log = open(log_path).read()
                done = _iters(log)
                if osp.isfile(osp.join(work_dir, 'last_checkpoint')) and \
                        done and done[-1] % interval != 0:
                    break
                time.sleep(0.2)
            assert first.poll() is None, 'run ended before it was killed'
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(30)
        finally:
            if first.poll() is None:
                os.killpg(first.pid, signal.SIGKILL)
    first_iters = _iters(open(log_path).read())
    assert first_iters == list(range(1, len(first_iters) + 1))
    last_ckpt = open(osp.join(work_dir, 'last_checkpoint')).read().strip()
    saved = int(re.search(r'iter_(\d+)\.pth$', last_ckpt).group(1))
    assert saved % interval == 0 and saved < first_iters[-1] < max_iters
    # the killed run got further than its checkpoint: those iterations are
    # redone, the ones before it are not
    resume_to = saved + 2 * interval
    proc = subprocess.run(
        _cmd(world, work_dir, resume_to, interval, resume=True),
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
        env=_env())
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert f'resumed epoch: 0, iter: {saved}' in log
    assert f'Advance dataloader {saved} steps' in log
    assert _iters(log) == list(range(saved + 1, resume_to + 1))
    ckpt = load_checkpoint_file(osp.join(work_dir, f'iter_{resume_to}.pth'))
    assert ckpt['meta']['iter'] == resume_to
    # the optimizer state came back too (SGD momentum buffers exist)
    assert ckpt['optimizer']['state']
    assert sorted(glob.glob(osp.join(work_dir, 'iter_*.pth')))
