# Copyright (c) mmtao contributors. All rights reserved.
import pytest
import torch
from mmcv.ops import batched_nms

from mmtao.models.layers import first_kept_batched_nms


def random_boxes(num, gen, spread=300.):
    xy = torch.rand(num, 2, generator=gen) * spread
    wh = 4 + torch.rand(num, 2, generator=gen) * 60
    return torch.cat([xy, xy + wh], 1)


@pytest.mark.parametrize('num,groups,max_num,iou', [
    (460, 5, 50, 0.7),  # an RPN's proposals of 5 levels
    (50, 1, 5, 0.5),  # a box head's candidates
    (300, 3, 50, 0.7),
    (200, 1, 20, 0.3),  # clustered: the prefix keeps too few, all boxes
    (40, 2, 30, 0.7),
    (20, 1, 100, 0.5),  # fewer boxes than wanted
])
def test_first_kept_equal_batched_nms(num, groups, max_num, iou):
    gen = torch.Generator().manual_seed(num)
    # clustered boxes: many suppressions, so the prefix pass can fall short
    for spread in (5., 40., 300.):
        boxes = random_boxes(num, gen, spread)
        scores = torch.rand(num, generator=gen)
        idxs = torch.randint(0, groups, (num, ), generator=gen)
        cfg = dict(type='nms', iou_threshold=iou)
        ref_dets, ref_keep = batched_nms(boxes, scores, idxs, cfg)
        dets, keep = first_kept_batched_nms(boxes, scores, idxs, cfg, max_num)
        assert keep.tolist() == ref_keep[:max_num].tolist()
        assert torch.equal(dets, ref_dets[:max_num])


def test_other_configs_run_batched_nms():
    gen = torch.Generator().manual_seed(0)
    boxes = random_boxes(100, gen)
    scores = torch.rand(100, generator=gen)
    idxs = torch.zeros(100, dtype=torch.long)
    for cfg, max_num in ((dict(type='nms', iou_threshold=0.5,
                               class_agnostic=True), 10),
                         (dict(type='soft_nms', iou_threshold=0.5), 10),
                         (dict(type='nms', iou_threshold=0.5), -1)):
        ref_dets, ref_keep = batched_nms(boxes, scores, idxs, cfg)
        if max_num > 0:
            ref_dets, ref_keep = ref_dets[:max_num], ref_keep[:max_num]
        dets, keep = first_kept_batched_nms(boxes, scores, idxs, cfg,
                                            max_num)
        assert keep.tolist() == ref_keep.tolist()
        torch.testing.assert_close(dets, ref_dets, rtol=0, atol=0)
