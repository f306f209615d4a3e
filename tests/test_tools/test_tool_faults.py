# Copyright (c) mmtao contributors. All rights reserved.
"""tools/train.py and tools/test.py against a new user's faults: training
on a folder given only on the command line, misspelt --cfg-options, kill -9
with DataLoader workers, one-line errors."""
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import time

import pytest
from mmengine.config import Config

from conftest import REPO_ROOT
from mmtao.utils.config_options import (drop_unscheduled_validation,
                                        merge_cfg_options,
                                        unmatched_cfg_options)

CPU_CFG = osp.join(REPO_ROOT, 'configs/tao/tao_mbv2-fpn_320_synthetic.py')
TINY_CFG = osp.join(REPO_ROOT, 'tests/test_training/configs/tiny_tao_joint.py')


def _env() -> dict:
    return dict(os.environ, OMP_NUM_THREADS='1')


@pytest.fixture(scope='module')
def world(tiny_world_root) -> str:
    """A tiny synthetic world with a train split only (no val/)."""
    return tiny_world_root


# ------------------------------------------------------- --cfg-options --
def test_misspelt_cfg_option_is_reported():
    cfg = Config.fromfile(CPU_CFG)
    messages = unmatched_cfg_options(
        cfg, {
            'model.test_cfg.tempral': None,
            'model.test_cfg.temporal.alpha': 0.5,
            'train_dataloader.dataset.datasets.1.data_root': 'x/',
            'train_dataloader.dataset.datasets.7.data_root': 'x/',
            'find_unused_parameters': True,
        })
    assert messages == [
        "--cfg-options model.test_cfg.tempral: the config has no 'tempral' "
        'under model.test_cfg (did you mean temporal?); it is added as a '
        'new key, which may have no effect',
        '--cfg-options train_dataloader.dataset.datasets.7.data_root: the '
        "config has no '7' under train_dataloader.dataset.datasets; it is "
        'added as a new key, which may have no effect'
    ]


def test_data_root_reaches_derived_paths():
    cfg = Config.fromfile(CPU_CFG)
    merge_cfg_options(
        cfg, {
            'data_root': '/my/folder',
            'train_dataloader.dataset.datasets.2.data_root': '/other/'
        },
        warn=False)
    sets = cfg.train_dataloader.dataset.datasets
    assert sets[0].data_root == '/my/folder/train/'
    assert sets[1].data_root == '/my/folder/train/'
    assert sets[2].data_root == '/other/'  # given explicitly: it wins
    assert cfg.val_dataloader.dataset.data_root == '/my/folder/val/'
    assert cfg.test_dataloader.dataset.data_root == '/my/folder/val/'
    # paths not under the old root are left alone
    assert cfg.model.backbone.init_cfg.checkpoint == \
        'checkpoints/pretrained/mobilenet_v2_mmdet.pth'


def test_validation_dropped_only_when_not_scheduled():
    cfg = Config.fromfile(CPU_CFG)  # val_interval = max_iters + 1
    assert drop_unscheduled_validation(cfg)
    assert cfg.val_dataloader is None and cfg.val_evaluator is None
    cfg = Config.fromfile(CPU_CFG)
    cfg.train_cfg.val_interval = 100
    assert not drop_unscheduled_validation(cfg)
    assert cfg.val_dataloader is not None


def test_train_on_own_folder_from_command_line(world, tmp_path):
    """Train the shipped CPU config 2 iterations on a folder that has no
    val split, given only as --cfg-options data_root=..."""
    work_dir = str(tmp_path / 'work')
    proc = subprocess.run([
        sys.executable, 'tools/train.py', CPU_CFG, '--work-dir', work_dir,
        '--cfg-options', f'data_root={world}', 'train_cfg.max_iters=2',
        'default_hooks.checkpoint.interval=2', 'model.backbone.init_cfg=None',
        'model.test_cfg.tempral=None'
    ], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
        env=_env())
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert osp.isfile(osp.join(work_dir, 'iter_2.pth'))
    assert 'validation is not scheduled' in proc.stdout
    assert 'Epoch(val)' not in proc.stdout + proc.stderr
    warnings = [ln for ln in proc.stderr.splitlines() if 'tempral' in ln]
    assert len(warnings) == 1 and 'did you mean temporal?' in warnings[0]
    assert 'pkg_resources' not in proc.stderr
    dumped = Config.fromfile(
        osp.join(work_dir, 'tao_mbv2-fpn_320_synthetic.py'))
    assert {d.data_root for d in dumped.train_dataloader.dataset.datasets
            } == {f'{world}/train/'}


# --------------------------------------------------------------- kill -9 --
def _children(pid: int) -> list:
    kids = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat') as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat.rsplit(')', 1)[1].split()[1]) == pid:
            kids.append(int(entry))
    return kids


def _alive(pid: int) -> bool:
    try:
        with open(f'/proc/{pid}/stat') as f:
            state = f.read().rsplit(')', 1)[1].split()[0]
    except OSError:
        return False
    return state not in ('Z', 'X')  # a zombie holds no memory


def test_kill9_leaves_no_dataloader_worker(world, tmp_path):
    """Persistent workers with many prefetched batches in the result pipe:
    torch's own watchdog then hangs on exit; the worker must die anyway."""
    work_dir = str(tmp_path / 'work')
    options = [
        f'train_dataloader.dataset.datasets.{i}.data_root={world}/train/'
        for i in range(3)
    ] + [
        'train_cfg.max_iters=1000', 'train_dataloader.num_workers=1',
        'train_dataloader.persistent_workers=True',
        'train_dataloader.prefetch_factor=16',
        'default_hooks.checkpoint.interval=1000'
    ]
    log_path = str(tmp_path / 'train.log')
    with open(log_path, 'w') as log:
        proc = subprocess.Popen([
            sys.executable, 'tools/train.py', TINY_CFG, '--work-dir',
            work_dir, '--cfg-options'
        ] + options, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
            env=_env())
    workers = []
    try:
        deadline = time.time() + 300
        while time.time() < deadline and proc.poll() is None:
            if re.search(r'Iter\(train\) \[\s*4/', open(log_path).read()):
                break
            time.sleep(0.3)
        assert proc.poll() is None, open(log_path).read()[-3000:]
        workers = _children(proc.pid)
        assert workers, 'no DataLoader worker was started'
        proc.kill()
        proc.wait(30)
        deadline = time.time() + 10
        while time.time() < deadline and any(map(_alive, workers)):
            time.sleep(0.2)
        left = [w for w in workers if _alive(w)]
        assert not left, f'workers {left} outlived the killed trainer'
    finally:
        if proc.poll() is None:
            proc.kill()
        for w in workers:
            if _alive(w):
                os.kill(w, signal.SIGKILL)


# ------------------------------------------------------ one-line errors --
def _tool(*args):
    return subprocess.run([sys.executable, *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300,
                          env=_env())


def _one_line(proc) -> str:
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_tools_print_one_line_for_user_errors(tmp_path):
    line = _one_line(_tool('tools/train.py', str(tmp_path / 'nope.py')))
    assert line.startswith('error: config file not found: ')
    assert 'nope.py' in line
    # an analysis tool pointed at a folder that is not a world
    line = _one_line(_tool('tools/analysis/multi_object_world.py', CPU_CFG,
                           'none', '--data-root', str(tmp_path), '--out',
                           str(tmp_path / 'out')))
    assert 'annotations/coco.json not found' in line
    # an unwritable output folder (root ignores modes: sysfs refuses it)
    if not osp.isdir('/sys/kernel'):
        pytest.skip('no sysfs to provide an unwritable folder')
    line = _one_line(
        _tool('tools/test.py', CPU_CFG, CPU_CFG, '--out',
              '/sys/mmtao_denied/results.pkl'))
    assert line.startswith('error: permission denied: /sys/mmtao_denied')
    line = _one_line(_tool('tools/test.py', CPU_CFG, CPU_CFG, '--out',
                           str(tmp_path / 'r.txt')))
    assert 'expected a .pkl file name' in line
    # --debug shows where it came from
    proc = _tool('tools/train.py', str(tmp_path / 'nope.py'), '--debug')
    assert proc.returncode != 0 and 'Traceback' in proc.stderr
