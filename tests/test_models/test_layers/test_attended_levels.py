# Copyright (c) mmtao contributors. All rights reserved.
import pytest
import torch

from mmtao.models.layers import AttendedLevels
from mmtao.models.necks import TemplateAttentionNeck


def _pyramid():
    g = torch.Generator().manual_seed(0)
    feats = [torch.randn(1, 8, s, s + 1, generator=g) for s in (8, 4, 2)]
    templates = torch.randn(3, 8, generator=g)
    return feats, templates


def test_levels_equal_the_necks_attention_and_are_built_on_first_use():
    feats, templates = _pyramid()
    neck = TemplateAttentionNeck(
        neck=dict(in_channels=[8, 8, 8], out_channels=8, num_outs=3))
    sims = neck.similarity(feats, templates)
    x = AttendedLevels(feats, sims)
    assert x._levels == [None, None, None]
    ref = neck.attend(feats, templates)
    assert torch.equal(x[1], ref[1])
    assert x._levels[0] is None and x._levels[2] is None
    assert x[1] is x[1]  # cached
    assert len(x) == 3
    for a, b in zip(x, ref):  # iteration stops at the last level
        assert torch.equal(a, b)
    assert [t.shape for t in x[:2]] == [t.shape for t in ref[:2]]


def test_level_count_mismatch_is_an_error():
    feats, templates = _pyramid()
    with pytest.raises(ValueError, match='3 levels but 2'):
        AttendedLevels(feats, [torch.ones(3, 1, 8, 9)] * 2)
