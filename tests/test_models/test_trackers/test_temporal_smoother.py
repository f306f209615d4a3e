# Copyright (c) mmtao contributors. All rights reserved.
import pytest
import torch

from mmtao.registry import MODELS
from mmtao.models.trackers import TemporalSmoother  # noqa: F401


def boxes(*bs):
    return torch.tensor(bs, dtype=torch.float32)


def test_state_machine_frame_by_frame():
    sm = MODELS.build(
        dict(type='TemporalSmoother', alpha=0.6, low_iou=0.1,
             recover_iou=0.3, recover_frames=2))
    sm.reset(torch.tensor([0., 0, 10, 10]))
    # f1: the near box (IoU 1) is re-scored .6*.5 + .4*1 = .7 and beats the
    # far one (.6*.8 + 0 = .48) although its raw score is lower
    idx, s = sm.select(boxes([0, 0, 10, 10], [50, 50, 60, 60]),
                       torch.tensor([.5, .8]))
    assert idx == 0 and torch.allclose(s, torch.tensor([.7, .48]))
    assert sm.enabled
    # f2: only far candidates: IoU 0 < 0.1 -> the track broke -> disabled
    idx, s = sm.select(boxes([50, 50, 60, 60], [100, 100, 110, 110]),
                       torch.tensor([.9, .2]))
    assert idx == 0 and torch.allclose(s, torch.tensor([.54, .12]))
    assert not sm.enabled and sm.smooth_count == 0
    # f3: disabled -> raw scores; the far box (IoU 0 to [50..60]) wins
    idx, s = sm.select(boxes([50, 50, 60, 60], [0, 0, 10, 10]),
                       torch.tensor([.3, .4]))
    assert idx == 1 and torch.allclose(s, torch.tensor([.3, .4]))
    assert not sm.enabled and sm.smooth_count == 0
    # f4: same place (IoU 1 > 0.3): 1 smooth frame
    idx, _ = sm.select(boxes([0, 0, 10, 10]), torch.tensor([.6]))
    assert not sm.enabled and sm.smooth_count == 1
    # f5: IoU .9 > .3: 2 smooth frames = recover_frames -> re-enabled; this
    # frame's scores are still raw
    idx, s = sm.select(boxes([0, 0, 10, 9]), torch.tensor([.6]))
    assert sm.enabled and sm.smooth_count == 0
    assert torch.allclose(s, torch.tensor([.6]))
    # f6: enabled again: near box .6*.5 + .4 = .7 beats far .54
    idx, s = sm.select(boxes([0, 0, 10, 9], [30, 30, 40, 40]),
                       torch.tensor([.5, .9]))
    assert idx == 0 and torch.allclose(s, torch.tensor([.7, .54]))


def test_smooth_counter_resets_on_a_jump():
    sm = TemporalSmoother(recover_frames=3)
    sm.reset(torch.tensor([0., 0, 10, 10]))
    sm.select(boxes([40, 40, 50, 50]), torch.tensor([1.]))  # break
    sm.select(boxes([40, 40, 50, 50]), torch.tensor([1.]))  # 1
    sm.select(boxes([40, 40, 50, 50]), torch.tensor([1.]))  # 2
    assert not sm.enabled and sm.smooth_count == 2
    # IoU([40,40,50,50], [46,40,56,50]) = 40 / 160 = .25, not > .3: reset
    sm.select(boxes([46, 40, 56, 50]), torch.tensor([1.]))
    assert not sm.enabled and sm.smooth_count == 0


def test_mask_iou_is_used_when_masks_given():
    sm = TemporalSmoother(alpha=0.6)
    prev = torch.zeros(4, 4, dtype=torch.bool)
    prev[:2, :2] = True
    sm.reset(torch.tensor([0., 0, 4, 4]), prev)
    masks = torch.zeros(2, 4, 4, dtype=torch.bool)
    masks[0, :2, :1] = True  # mask IoU 2/4 = .5 (box IoU would be 1)
    masks[1, 2:, 2:] = True  # mask IoU 0
    idx, s = sm.select(boxes([0, 0, 4, 4], [0, 0, 4, 4]),
                       torch.tensor([.5, .6]), masks)
    assert torch.allclose(s, torch.tensor([.6 * .5 + .4 * .5, .36]))
    assert idx == 0
    assert torch.equal(sm.prev_mask, masks[0])


def test_bad_inputs():
    sm = TemporalSmoother()
    with pytest.raises(RuntimeError, match='before reset'):
        sm.select(boxes([0, 0, 1, 1]), torch.tensor([1.]))
    sm.reset(torch.tensor([0., 0, 4, 4]), torch.zeros(4, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match='k >= 1'):
        sm.select(torch.zeros(0, 4), torch.zeros(0))
    with pytest.raises(ValueError, match='do not match'):
        sm.select(boxes([0, 0, 1, 1]), torch.tensor([1., 2.]))
    with pytest.raises(ValueError, match='previous track mask'):
        sm.select(boxes([0, 0, 1, 1]), torch.tensor([1.]),
                  torch.zeros(1, 5, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match='alpha'):
        TemporalSmoother(alpha=1.5)
