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


def _saved(tmp_path, name, state_dict, meta=None):
    path = str(tmp_path / name)
    torch.save(dict(state_dict=state_dict, meta=meta or {}), path)
    return path


def test_damaged_checkpoint_is_refused_naming_the_member(tmp_path):
    """Bytes flipped inside a tensor's data: torch's reader loads it with
    wrong weights; the zip CRC-32 (zipfile's reference check) catches it."""
    import zipfile
    weights = torch.arange(4096, dtype=torch.float32)
    path = _saved(tmp_path, 'flipped.pth', dict(w=weights))
    data = bytearray(open(path, 'rb').read())
    start = data.index(weights[1000:1004].numpy().tobytes())
    data[start:start + 64] = bytes(b ^ 0xFF for b in data[start:start + 64])
    open(path, 'wb').write(bytes(data))
    # the premise: the file still loads, with other numbers
    loaded = torch.load(path, weights_only=True)['state_dict']['w']
    assert not torch.equal(loaded, weights)
    bad = zipfile.ZipFile(path).testzip()
    assert bad is not None
    with pytest.raises(ValueError,
                       match=f"flipped.pth' is damaged.*{bad}.*CRC"):
        load_checkpoint_file(path)


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / 'empty.pth'
    path.write_bytes(b'')
    with pytest.raises(ValueError, match=r"empty.pth' is empty \(0 bytes\)"):
        load_checkpoint_file(str(path))


@pytest.mark.parametrize('value', [float('nan'), float('inf')])
def test_non_finite_weights_are_refused(tmp_path, value):
    w = torch.ones(3, 3)
    w[1, 2] = value
    path = _saved(tmp_path, 'diverged.pth',
                  dict(a=torch.ones(2), b=w, steps=torch.tensor([3])))
    with pytest.raises(ValueError,
                       match=r"diverged.pth' has NaN or inf weights in 1 "
                       r'of its tensors \(b\)'):
        load_checkpoint_file(path)
    ok = _saved(tmp_path, 'fine.pth', dict(a=torch.ones(2)))
    assert load_checkpoint_file(ok)['state_dict']['a'].sum() == 2


def test_checkpoint_of_another_config_names_both(tmp_path):
    """Same layers, another classifier size (the six-class vs the one-class
    model): refused with the checkpoint's config (meta) and the model's."""
    model = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 2))
    other = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 7))
    path = _saved(tmp_path, 'six.pth', other.state_dict(),
                  dict(experiment_name='tao_six_20261124_014034'))
    with pytest.raises(ValueError,
                       match=r"six.pth' \(trained with 'tao_six'\) is of "
                       r"another config than config 'one.py': 2 tensor\(s\) "
                       r'differ in shape, e.g. 1.weight \(7, 8\) in the '
                       r'checkpoint vs \(2, 8\)'):
        check_checkpoint_matches(model, path, config_name='one.py')
    own = _saved(tmp_path, 'own.pth', model.state_dict())
    assert check_checkpoint_matches(model, own) == 1.0
