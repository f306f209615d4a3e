# Copyright (c) mmtao contributors. All rights reserved.
"""TrackingRPNHead against mmdet's own RPNHead (the reference)."""
import copy

import pytest
import torch
from mmdet.models.dense_heads import RPNHead
from mmengine import DefaultScope
from mmengine.config import ConfigDict

from mmtao.models.dense_heads import TrackingRPNHead
from mmtao.registry import MODELS

H, W = 96, 128
STRIDES = (4, 8, 16, 32, 64)


def build_pair(tiny_mmdet_cfg, seed=0):
    """mmdet's RPNHead and a TrackingRPNHead with the same weights."""
    cfg = copy.deepcopy(tiny_mmdet_cfg.rpn_head)
    cfg.update(
        train_cfg=tiny_mmdet_cfg.train_cfg.rpn,
        test_cfg=tiny_mmdet_cfg.test_cfg.rpn)
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmtao'):
        ref = MODELS.build(cfg)
        ref.init_weights()
        ours = MODELS.build(dict(cfg, type='TrackingRPNHead'))
    assert type(ref) is RPNHead and isinstance(ours, TrackingRPNHead)
    # every key of mmdet's head, no other
    ours.load_state_dict(ref.state_dict(), strict=True)
    assert ours.state_dict().keys() == ref.state_dict().keys()
    # scores spread wider than the init's, so that the top-k is well defined
    with torch.no_grad():
        for conv in (ref.rpn_cls, ours.rpn_cls):
            conv.weight.mul_(20)
    return ref.eval(), ours.eval()


def pyramid(num, seed=1):
    """A frame's levels (1, C, h, w) and K similarity maps (K, 1, h, w)."""
    g = torch.Generator().manual_seed(seed)
    feats = [
        torch.randn(1, 16, -(-H // s), -(-W // s), generator=g)
        for s in STRIDES
    ]
    sims = [
        torch.rand(num, 1, *f.shape[-2:], generator=g) * 2 for f in feats
    ]
    return feats, sims


@pytest.mark.parametrize('num', [1, 3, 8])
@pytest.mark.parametrize('min_templates', [1, 0, 4])
def test_predict_track_equals_mmdet_predict_by_feat(tiny_mmdet_cfg, num,
                                                    min_templates):
    ref, ours = build_pair(tiny_mmdet_cfg)
    feats, sims = pyramid(num)
    x = [f * s for f, s in zip(feats, sims)]
    meta = dict(img_shape=(H, W), scale_factor=(1.0, 1.0))
    cfg = ConfigDict(
        nms_pre=100,
        max_per_img=50,
        nms=dict(type='nms', iou_threshold=0.7),
        min_bbox_size=0)
    with torch.no_grad():
        want = ref.predict_by_feat(
            *ref(x), batch_img_metas=[meta] * num, cfg=cfg, rescale=False)
        # the forward alone: mmdet's outputs for every level and template
        for got_level, want_level in zip(
                ours.forward_attended(feats, sims, x, min_templates),
                ref(x)):
            for a, b in zip(got_level, want_level):
                torch.testing.assert_close(a, b, rtol=0, atol=1e-4)
        got = ours.predict_track(feats, sims, x, meta, cfg, min_templates)
    assert len(got) == len(want) == num
    for a, b in zip(got, want):
        assert len(a) == len(b) == 50
        torch.testing.assert_close(a.bboxes, b.bboxes, rtol=0, atol=1e-4)
        torch.testing.assert_close(a.scores, b.scores, rtol=0, atol=1e-5)
        assert a.labels.tolist() == b.labels.tolist()


def test_anchors_are_computed_once_per_frame_size(tiny_mmdet_cfg):
    _, ours = build_pair(tiny_mmdet_cfg)
    sizes = [torch.Size((-(-H // s), -(-W // s))) for s in STRIDES]
    first = ours.grid_priors(sizes, torch.float32, 'cpu')
    assert ours.grid_priors(sizes, torch.float32, 'cpu') is first
    want = ours.prior_generator.grid_priors(sizes, device='cpu')
    for a, b in zip(first, want):
        assert torch.equal(a, b)
    other = ours.grid_priors([torch.Size((s[0] + 1, s[1])) for s in sizes],
                             torch.float32, 'cpu')
    assert other[0].shape[0] > first[0].shape[0]


def test_detection_and_training_are_mmdets(tiny_mmdet_cfg):
    """The inherited detection / loss paths give mmdet's numbers."""
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    ref, ours = build_pair(tiny_mmdet_cfg)
    feats, _ = pyramid(1)
    sample = DetDataSample(
        metainfo=dict(img_shape=(H, W), pad_shape=(H, W),
                      scale_factor=(1.0, 1.0)))
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([[10., 20., 60., 80.]]),
        labels=torch.tensor([0]))
    for head in (ref, ours):
        head.train()
    torch.manual_seed(3)
    want = ref.loss(feats, [sample])
    torch.manual_seed(3)
    got = ours.loss(feats, [sample])
    assert got.keys() == want.keys()
    for key in want:
        for a, b in zip(got[key], want[key]):
            torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_the_detector_needs_the_tracking_rpn_head(tiny_tao_cfg, build_model):
    tiny_tao_cfg.rpn_head.type = 'RPNHead'
    with pytest.raises(
            TypeError, match=r'\(TrackingRPNHead\), got RPNHead'):
        build_model(tiny_tao_cfg)
