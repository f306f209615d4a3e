# Copyright (c) mmtao contributors. All rights reserved.
import csv
import mmap
import resource

import numpy as np
import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from mmtao.engine import MemoryRecorderHook, read_rss_mb
from mmtao.utils import register_all_modules


def test_read_rss_mb_follows_the_kernels_counters():
    before = read_rss_mb()
    # ru_maxrss is the kernel's peak RSS in KiB (Linux)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.
    assert before['VmHWM'] == pytest.approx(peak, rel=0.05, abs=2)
    # a fresh anonymous mapping, every page touched: malloc could hand out
    # freed heap pages that are already resident (mmtao's allocator settings
    # keep up to 128 MiB of them after earlier tests)
    block = mmap.mmap(-1, 64 * 2**20)
    np.frombuffer(block, np.uint8)[::4096] = 1
    after = read_rss_mb()
    assert after['VmRSS'] - before['VmRSS'] == pytest.approx(64, abs=8)
    assert after['VmHWM'] >= after['VmRSS'] - 1e-6
    block.close()


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(torch.stack(inputs))
        return dict(loss=out.pow(2).mean()) if mode == 'loss' else out


class ToyData(Dataset):

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return dict(inputs=torch.full((2, ), float(i)))


def test_hook_from_a_config_writes_one_row_per_iteration(tmp_path):
    register_all_modules(init_default_scope=False)
    runner = Runner(
        model=ToyModel(),
        work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=ToyData(),
            sampler=dict(type='InfiniteSampler', shuffle=False),
            batch_size=2,
            num_workers=0),
        train_cfg=dict(by_epoch=False, max_iters=5),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        custom_hooks=[dict(type='MemoryRecorderHook')],
        default_hooks=dict(checkpoint=None, logger=None),
        log_level='WARNING',
        default_scope='mmtao')
    recorder = next(h for h in runner.hooks
                    if isinstance(h, MemoryRecorderHook))
    runner.train()
    with open(tmp_path / 'memory.csv') as f:
        rows = list(csv.DictReader(f))
    assert [int(r['iter']) for r in rows] == [1, 2, 3, 4, 5]
    assert rows == [{k: str(v) for k, v in r.items()} for r in recorder.rows]
    now = read_rss_mb()
    for r in rows:
        assert 0 < float(r['rss_mb']) <= float(r['peak_rss_mb'])
        assert float(r['peak_rss_mb']) <= now['VmHWM'] + 0.05  # rounded
    seconds = [float(r['seconds']) for r in rows]
    assert seconds == sorted(seconds) and seconds[0] >= 0


def test_hook_without_out_file_writes_nothing(tmp_path):
    hook = MemoryRecorderHook(out_file=None)

    class FakeRunner:
        iter = 6
        work_dir = str(tmp_path)

    hook.before_run(FakeRunner)
    hook.after_train_iter(FakeRunner, 0)
    hook.after_run(FakeRunner)
    assert [r['iter'] for r in hook.rows] == [7]
    assert list(tmp_path.iterdir()) == []
