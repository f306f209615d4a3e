# Copyright (c) mmtao contributors. All rights reserved.
import pytest
import torch
from mmdet.models.roi_heads.bbox_heads import Shared2FCBBoxHead
from mmdet.models.roi_heads.mask_heads import FCNMaskHead
from mmengine import DefaultScope

from mmtao.models.roi_heads import (JointFCNMaskHead, JointRoIHead,
                                    JointShared2FCBBoxHead)

BBOX_HEAD = dict(
    in_channels=8,
    fc_out_channels=16,
    roi_feat_size=7,
    num_classes=5,
    bbox_coder=dict(
        type='DeltaXYWHBBoxCoder',
        target_means=[0., 0., 0., 0.],
        target_stds=[0.1, 0.1, 0.2, 0.2]),
    reg_class_agnostic=False,
    loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
    loss_bbox=dict(type='L1Loss', loss_weight=1.0))
MASK_HEAD = dict(
    num_convs=2, in_channels=8, conv_out_channels=8, num_classes=5)


def test_bbox_head_detection_mode_is_mmdets_head():
    torch.manual_seed(0)
    ours = JointShared2FCBBoxHead(**BBOX_HEAD)
    ours.init_weights()
    theirs = Shared2FCBBoxHead(**BBOX_HEAD)
    res = theirs.load_state_dict(ours.state_dict(), strict=False)
    assert sorted(res.unexpected_keys) == [
        'fc_cls_track.bias', 'fc_cls_track.weight', 'fc_reg_track.bias',
        'fc_reg_track.weight'
    ]
    x = torch.randn(6, 8, 7, 7)
    for a, b in zip(ours(x), theirs(x)):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_bbox_head_tracking_mode_uses_class_agnostic_layers():
    torch.manual_seed(0)
    head = JointShared2FCBBoxHead(**BBOX_HEAD)
    head.init_weights()
    x = torch.randn(6, 8, 7, 7)
    cls_det, reg_det = head(x)
    assert cls_det.shape == (6, 6) and reg_det.shape == (6, 20)
    assert head.num_classes == 5 and not head.reg_class_agnostic
    head.tracking = True
    cls_trk, reg_trk = head(x)
    assert cls_trk.shape == (6, 2) and reg_trk.shape == (6, 4)
    assert head.num_classes == 1 and head.reg_class_agnostic
    # same shared features, different final layers
    feats = head.forward_features(x)[0]
    torch.testing.assert_close(cls_trk, head.fc_cls_track(feats))
    torch.testing.assert_close(cls_det, head.fc_cls(feats))


def test_mask_head_modes():
    torch.manual_seed(0)
    ours = JointFCNMaskHead(**MASK_HEAD)
    ours.init_weights()
    assert ours.conv_logits_track.weight.abs().sum() > 0
    theirs = FCNMaskHead(**MASK_HEAD)
    theirs.load_state_dict(ours.state_dict(), strict=False)
    x = torch.randn(3, 8, 14, 14)
    torch.testing.assert_close(ours(x), theirs(x), rtol=0, atol=0)
    assert ours(x).shape == (3, 5, 28, 28)
    ours.tracking = True
    assert ours.class_agnostic
    assert ours(x).shape == (3, 1, 28, 28)


def roi_head(**kwargs):
    # mmdet builds the sub-heads from its own registry: in mmtao's scope it
    # finds mmtao's heads
    with DefaultScope.overwrite_default_scope('mmtao'):
        return JointRoIHead(**kwargs)


def joint_roi_head():
    return roi_head(
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
            out_channels=8,
            featmap_strides=[4, 8]),
        bbox_head=dict(type='JointShared2FCBBoxHead', **BBOX_HEAD),
        mask_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=0),
            out_channels=8,
            featmap_strides=[4, 8]),
        mask_head=dict(type='JointFCNMaskHead', **MASK_HEAD),
        test_cfg=dict(
            score_thr=0.05,
            nms=dict(type='nms', iou_threshold=0.5),
            max_per_img=100,
            mask_thr_binary=0.5))


def test_tracking_context_switches_and_restores_even_on_error():
    head = joint_roi_head()
    det_cfg = head.test_cfg
    track_cfg = dict(det_cfg, max_per_img=3)
    with head.tracking(track_cfg):
        assert head.bbox_head.tracking and head.mask_head.tracking
        assert head.test_cfg is track_cfg
    assert not head.bbox_head.tracking and not head.mask_head.tracking
    assert head.test_cfg is det_cfg
    with pytest.raises(KeyError):
        with head.tracking():
            raise KeyError('boom')
    assert not head.bbox_head.tracking and head.bbox_head.num_classes == 5


def test_roi_head_rejects_plain_mmdet_heads():
    with pytest.raises(TypeError, match='JointShared2FCBBoxHead'):
        roi_head(
            bbox_roi_extractor=dict(
                type='SingleRoIExtractor',
                roi_layer=dict(
                    type='RoIAlign', output_size=7, sampling_ratio=0),
                out_channels=8,
                featmap_strides=[4, 8]),
            bbox_head=dict(type='Shared2FCBBoxHead', **BBOX_HEAD))


@pytest.mark.parametrize('rescale', [True, False])
@pytest.mark.parametrize('threshold', [0.5, -1])
def test_batched_paste_masks_equals_mmdets_pasting(rescale, threshold):
    """``JointFCNMaskHead.paste_masks`` (all masks in one ``grid_sample``)
    gives mmdet's ``FCNMaskHead._predict_by_feat_single`` (mask by mask),
    class-agnostic, boxes inside, across and beyond the image edges."""
    from mmengine.config import ConfigDict
    g = torch.Generator().manual_seed(0)
    mask_preds = torch.randn(9, 1, 28, 28, generator=g) * 3
    xy = torch.rand(9, 2, generator=g) * torch.tensor([140., 100.]) - 10
    wh = torch.rand(9, 2, generator=g) * 60 + 0.5
    bboxes = torch.cat([xy, xy + wh], 1)
    bboxes[0] = torch.tensor([0., 0., 128., 96.])  # the whole image
    bboxes[1] = torch.tensor([3.5, 7.25, 3.75, 40.])  # thinner than a pixel
    meta = dict(ori_shape=(192, 256), scale_factor=(0.5, 0.5))
    cfg = ConfigDict(mask_thr_binary=threshold)
    ref_head = FCNMaskHead(num_convs=0, in_channels=8, num_classes=1,
                           class_agnostic=True)
    want = ref_head._predict_by_feat_single(
        mask_preds, bboxes.clone(), torch.zeros(9, dtype=torch.long), meta,
        cfg, rescale=rescale)
    got_boxes = bboxes.clone()
    got = JointFCNMaskHead.paste_masks(mask_preds, got_boxes, meta, cfg,
                                       rescale)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert got.shape[1:] == ((192, 256) if rescale else (96, 128))
    assert torch.equal(got, want)
    # not a comparison of empty canvases
    assert bool(want[[0, *range(2, 9)]].flatten(1).any(1).all())
    if rescale:  # the boxes are rescaled in place, as mmdet does
        torch.testing.assert_close(got_boxes, bboxes * 2)
