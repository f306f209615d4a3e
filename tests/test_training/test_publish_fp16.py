# Copyright (c) mmtao contributors. All rights reserved.
import importlib.util
import os.path as osp
import sys

import pytest
import torch
import torch.nn as nn

from conftest import REPO_ROOT

SCRIPT = osp.join(REPO_ROOT, 'tools/model_converters/publish_fp16.py')


def _load_script():
    spec = importlib.util.spec_from_file_location('publish_fp16', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))


def test_release_checkpoint_roundtrip(tmp_path, monkeypatch, capsys):
    from mmengine.runner import load_checkpoint
    net = _net()
    net[1].running_mean.uniform_()
    net[1].num_batches_tracked += 7
    src = str(tmp_path / 'iter_9.pth')
    torch.save(
        dict(
            state_dict={f'module.{k}': v
                        for k, v in net.state_dict().items()},
            optimizer=dict(state={0: dict(momentum_buffer=torch.ones(3))}),
            message_hub=dict(log_scalars={}),
            meta=dict(iter=9, dataset_meta=dict(classes=('a', )),
                      hook_msgs=dict(last_ckpt='x'))), src)
    dst = str(tmp_path / 'release.pth')
    # the command line, run in-process
    monkeypatch.setattr(sys, 'argv', ['publish_fp16.py', src, dst])
    _load_script().main()
    assert 'sha256' in capsys.readouterr().out
    release = torch.load(dst, weights_only=True)
    assert set(release) == {'state_dict', 'meta'}
    assert release['meta'] == dict(
        iter=9, dataset_meta=dict(classes=('a', )), precision='float16')
    sd = release['state_dict']
    assert set(sd) == set(net.state_dict())
    assert sd['0.weight'].dtype == torch.float16
    assert sd['1.num_batches_tracked'].dtype == torch.int64
    assert int(sd['1.num_batches_tracked']) == 7
    # loads into a float32 model: weights equal to their fp16 rounding
    fresh = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    load_checkpoint(fresh, dst, map_location='cpu', strict=True)
    for k, v in net.state_dict().items():
        got = fresh.state_dict()[k]
        assert got.dtype == v.dtype
        if v.is_floating_point():
            torch.testing.assert_close(got, v.half().float(), rtol=0,
                                       atol=0)


def test_release_rejects_bad_input():
    module = _load_script()
    with pytest.raises(ValueError, match='no state_dict'):
        module.to_release(dict(state_dict={}), source='empty.pth')
    with pytest.raises(TypeError, match="state_dict\\['a'\\] is a str"):
        module.to_release(dict(state_dict=dict(a='x')), source='bad.pth')
