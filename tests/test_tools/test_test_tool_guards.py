# Copyright (c) mmtao contributors. All rights reserved.
"""tools/test.py refuses before the run what would spoil it: a bad
annotation line in the last sequence, a --work-dir in use by another run,
a --cfg-options item without '='."""
import os
import os.path as osp
import subprocess
import sys

import pytest

from tool_runner import (REPO_ROOT, TINY_CFG, make_synthetic_benchmark,
                         save_seeded_tracker)
from mmtao.utils.run_lock import RunLock

CFG = TINY_CFG


@pytest.fixture(scope='module')
def bench(tmp_path_factory):
    root = tmp_path_factory.mktemp('guards')
    data = make_synthetic_benchmark(
        str(root / 'val'), num_frames=6, seed=3, img_size=(96, 72))
    ckpt = save_seeded_tracker(CFG, str(root / 'tiny.pth'))
    return data, ckpt, root


def _test_tool(ckpt, data, work, *extra):
    return subprocess.run([
        sys.executable, 'tools/test.py', CFG, ckpt, '--work-dir', work,
        '--cfg-options', f'test_dataloader.dataset.data_root={data}', *extra
    ], cwd=REPO_ROOT, capture_output=True, text=True, timeout=900,
        env=dict(os.environ, OMP_NUM_THREADS='1'))


def test_bad_line_in_last_sequence_stops_before_tracking(bench, tmp_path):
    data, ckpt, _ = bench
    import shutil
    bad = str(tmp_path / 'val')
    shutil.copytree(data, bad)
    last = sorted(open(osp.join(bad, 'list.txt')).read().split())[-1]
    gt = osp.join(bad, last, 'groundtruth.txt')
    lines = open(gt).read().splitlines()
    lines[4] = '12.0,abc,4'
    open(gt, 'w').write('\n'.join(lines) + '\n')
    work = str(tmp_path / 'work')
    proc = _test_tool(ckpt, bad, work)
    assert proc.returncode == 2, proc.stderr[-3000:]
    last_line = proc.stderr.strip().splitlines()[-1]
    assert last_line.startswith('error: ') and 'Traceback' not in proc.stderr
    assert f'{last}/groundtruth.txt:5' in last_line
    # refused before the first frame: no test iteration was logged
    assert 'Iter(test)' not in proc.stdout + proc.stderr
    assert 'DataLoader worker' not in proc.stderr  # found before the loop


def test_shared_work_dir_is_refused(bench, tmp_path):
    data, ckpt, _ = bench
    work = str(tmp_path / 'shared')
    os.makedirs(work)
    # another run holds the work dir
    with RunLock(osp.join(work, '.tools_test.lock'), 'x'):
        proc = _test_tool(ckpt, data, work)
    assert proc.returncode == 2, proc.stderr[-3000:]
    line = proc.stderr.strip().splitlines()[-1]
    assert line.startswith(f'error: --work-dir {work} is being written by '
                           f'another run (pid {os.getpid()})'), line
    # released: the next run works and leaves no lock behind
    proc = _test_tool(ckpt, data, work)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not osp.exists(osp.join(work, '.tools_test.lock'))


def test_cfg_option_without_value_is_one_argparse_line(bench, tmp_path):
    data, ckpt, _ = bench
    proc = _test_tool(ckpt, data, str(tmp_path / 'w'),
                      'model.test_cfg.temporal')
    assert proc.returncode == 2 and 'Traceback' not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].endswith(
        "argument --cfg-options: 'model.test_cfg.temporal': expected "
        'key=value, e.g. model.test_cfg.temporal=None or data_root=DIR')
