# Copyright (c) mmtao contributors. All rights reserved.
"""tools/model_converters/interpolate_weights.py: by-hand interpolation,
the release file, and refusals of checkpoints that are not one model."""
import importlib.util
import os.path as osp

import pytest
import torch
import torch.nn as nn

from conftest import REPO_ROOT

SCRIPT = osp.join(REPO_ROOT, 'tools/model_converters/interpolate_weights.py')


def _load_script():
    spec = importlib.util.spec_from_file_location('interpolate_weights',
                                                  SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _state(seed, batches):
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    net[1].running_var.uniform_(0.5, 2.0)
    net[1].num_batches_tracked += batches
    return {k: v.clone() for k, v in net.state_dict().items()}


def test_interpolated_release_by_hand(tmp_path, capsys):
    a, b = _state(0, 3), _state(1, 9)
    pa, pb = str(tmp_path / 'a.pth'), str(tmp_path / 'b.pth')
    # A as a float16 release, B as a training checkpoint
    torch.save(dict(state_dict={k: v.half() if v.is_floating_point() else v
                                for k, v in a.items()},
                    meta=dict(iter=5)), pa)
    torch.save(dict(state_dict=b, meta=dict(iter=9, seed=1)), pb)
    out = str(tmp_path / 'ab.pth')
    _load_script().main([pa, pb, '--alpha', '0.25', '--out', out])
    assert 'sha256' in capsys.readouterr().out
    release = torch.load(out, weights_only=True)
    assert release['meta'] == dict(
        iter=9, seed=1, precision='float16',
        interpolated=dict(a='a.pth', b='b.pth', alpha=0.25))
    sd = release['state_dict']
    assert set(sd) == set(b)
    for key, vb in b.items():
        if vb.is_floating_point():
            want = 0.75 * a[key].half().float() + 0.25 * vb
            assert sd[key].dtype == torch.float16
            torch.testing.assert_close(
                sd[key].float(), want, rtol=1e-3, atol=1e-3)
        else:
            assert torch.equal(sd[key], vb)  # B's num_batches_tracked
    assert int(sd['1.num_batches_tracked']) == 9


def test_not_one_model_or_bad_alpha_raise():
    interp = _load_script().interpolate
    a, b = _state(0, 0), _state(1, 0)
    with pytest.raises(ValueError, match=r'alpha must be in \[0, 1\]'):
        interp(a, b, 1.5)
    extra = dict(b, **{'2.weight': torch.ones(1)})
    with pytest.raises(ValueError, match=r"only in B: \['2.weight'\]"):
        interp(a, extra, 0.5)
    wrong = dict(b, **{'0.weight': torch.ones(2, 3, 3, 3)})
    with pytest.raises(ValueError, match=r'0.weight: shape \(4, 3, 3, 3\)'):
        interp(a, wrong, 0.5)
    # the end points are the models themselves
    for alpha, want in ((0.0, a), (1.0, b)):
        got = interp(a, b, alpha)
        for key in a:
            torch.testing.assert_close(got[key].to(want[key].dtype),
                                       want[key])
