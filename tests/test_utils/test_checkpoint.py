# Copyright (c) mmtao contributors. All rights reserved.
"""Runner checkpoints load with weights_only on; foreign pickles don't."""
import glob
import os
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.runner import Runner

import mmtao  # noqa: F401  (registers the allow-list on import)
from mmtao.utils import (check_checkpoint_matches, load_checkpoint_file,
                         register_checkpoint_safe_globals)
from mmtao.utils import checkpoint as ckpt_module


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(torch.stack(inputs))
        if mode == 'loss':
            return dict(loss=((out - torch.stack(data_samples))**2).mean())
        return out


class ToyDataset(torch.utils.data.Dataset):
    metainfo = dict()

    def __len__(self):
        return 8

    def __getitem__(self, i):
        x = torch.tensor([float(i), 1.0])
        return dict(inputs=x, data_samples=x.sum(0, keepdim=True))


def _runner_checkpoint(work_dir: str) -> str:
    runner = Runner(
        model=ToyModel(),
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=ToyDataset(),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=2,
            num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=False, max_iters=3),
        default_hooks=dict(checkpoint=dict(
            type='CheckpointHook', interval=3, by_epoch=False)),
        default_scope='mmengine')
    runner.train()
    return glob.glob(osp.join(work_dir, 'iter_3.pth'))[0]


@pytest.fixture(scope='module')
def runner_ckpt(tmp_path_factory):
    return _runner_checkpoint(str(tmp_path_factory.mktemp('runner')))


def test_runner_checkpoint_loads_with_weights_only(runner_ckpt):
    ckpt = load_checkpoint_file(runner_ckpt)
    # the message hub with its HistoryBuffers is what needs the allow-list
    assert 'message_hub' in ckpt and 'state_dict' in ckpt
    assert ckpt['meta']['iter'] == 3
    # plain torch.load, weights_only default (True in torch >= 2.6) works too
    ckpt2 = torch.load(runner_ckpt, weights_only=True)
    torch.testing.assert_close(ckpt2['state_dict']['linear.weight'],
                               ckpt['state_dict']['linear.weight'])


def test_allow_list_is_what_makes_it_load(runner_ckpt):
    torch.serialization.clear_safe_globals()
    ckpt_module._registered = False
    try:
        with pytest.raises(Exception, match='HistoryBuffer|Unsupported'):
            torch.load(runner_ckpt, weights_only=True)
    finally:
        register_checkpoint_safe_globals()
    torch.load(runner_ckpt, weights_only=True)


def test_environment_switch_is_not_used():
    assert 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD' not in os.environ
    assert 'TORCH_FORCE_WEIGHTS_ONLY_LOAD' not in os.environ


class _Evil:

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (os.makedirs, (self.target, ))


def test_forbidden_global_is_refused(tmp_path):
    marker = str(tmp_path / 'pwned')
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {}, 'payload': _Evil(marker)}, path)
    with pytest.raises(ValueError, match='evil.pth.*weights_only'):
        load_checkpoint_file(path)
    assert not osp.exists(marker)
    # and mmengine's own loader (used by the Runner) refuses it as well
    from mmengine.runner import load_checkpoint
    with pytest.raises(Exception, match='os.makedirs|Unsupported global'):
        load_checkpoint(nn.Linear(2, 1), path)
    assert not osp.exists(marker)


def test_wrong_checkpoint_is_named(runner_ckpt):
    other = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Conv2d(4, 4, 3))
    with pytest.raises(ValueError, match='iter_3.pth.*does not fit'):
        check_checkpoint_matches(other, runner_ckpt)
    assert check_checkpoint_matches(ToyModel(), runner_ckpt) == 1.0


def test_empty_arrays_and_history_buffer_load(tmp_path):
    """An empty HistoryBuffer and np.array([]) pickle their empty data
    buffer through builtins.bytes (protocol 2): on the allow-list."""
    import numpy as np
    from mmengine.logging import HistoryBuffer
    path = str(tmp_path / 'empty.pth')
    buf = HistoryBuffer()
    torch.save(
        dict(
            state_dict=dict(w=torch.ones(2)),
            message_hub=dict(log_scalars=dict(never=buf)),
            empty=np.array([]),
            empty2d=np.zeros((0, 3), np.int64)), path)
    ckpt = load_checkpoint_file(path)
    assert ckpt['empty'].shape == (0, ) and ckpt['empty'].dtype == np.float64
    assert ckpt['empty2d'].shape == (0, 3)
    loaded = ckpt['message_hub']['log_scalars']['never']
    assert isinstance(loaded, HistoryBuffer)
    assert loaded.data[0].size == 0 and loaded.data[1].size == 0
    # without the bytes entry the same file is refused
    torch.serialization.clear_safe_globals()
    ckpt_module._registered = False
    try:
        torch.serialization.add_safe_globals([
            g for g in ckpt_module.CHECKPOINT_SAFE_GLOBALS if g is not bytes
        ])
        with pytest.raises(Exception, match='bytes'):
            torch.load(path, weights_only=True)
    finally:
        torch.serialization.clear_safe_globals()
        register_checkpoint_safe_globals()
