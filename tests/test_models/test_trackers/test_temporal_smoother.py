# Copyright (c) mmtao contributors. All rights reserved.
import numpy as np
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


def test_select_on_first_and_rivals_is_select_on_all():
    """Random frames (scores with ties, masks of all overlaps, the smoother
    enabled and disabled): choosing among the top-confidence candidate and
    its rivals picks the candidate, re-score and state that choosing among
    all candidates does."""
    g = torch.Generator().manual_seed(0)
    num_rivals = num_cands = 0
    for trial in range(300):
        k = int(torch.randint(1, 7, (1, ), generator=g))
        # few score levels so that ties happen, some on the top score
        scores = torch.randint(0, 6, (k, ), generator=g).float() / 5
        masks = torch.rand(k, 6, 7, generator=g) < torch.rand(
            k, 1, 1, generator=g)
        bboxes = torch.rand(k, 4, generator=g) * 4
        bboxes[:, 2:] += bboxes[:, :2] + 1
        prev = torch.rand(6, 7, generator=g) < 0.5
        full, lazy = TemporalSmoother(), TemporalSmoother()
        for sm in (full, lazy):
            sm.reset(torch.tensor([0., 0, 4, 4]), prev)
            sm.enabled = trial % 4 != 0
        first = int(scores.argmax())
        rivals = lazy.rivals(bboxes, scores, first, masks[first]).tolist()
        assert first not in rivals and rivals == sorted(rivals)
        if not full.enabled:
            assert rivals == []
        inds = sorted(rivals + [first])
        idx, new_scores = full.select(bboxes, scores, masks)
        j, sub_scores = lazy.select(bboxes[inds], scores[inds], masks[inds])
        assert inds[j] == idx
        assert torch.equal(sub_scores, new_scores[inds])
        assert (lazy.enabled, lazy.smooth_count) == (full.enabled,
                                                     full.smooth_count)
        assert torch.equal(lazy.prev_mask, full.prev_mask)
        assert torch.equal(lazy.prev_bbox, full.prev_bbox)
        num_rivals += len(rivals)
        num_cands += k - 1
    # the point of it: most other candidates need no mask
    assert 0 < num_rivals < num_cands / 2


def test_rivals_without_masks_are_all_other_candidates():
    sm = TemporalSmoother()
    sm.reset(torch.tensor([0., 0, 4, 4]))
    assert sm.rivals(boxes([0, 0, 1, 1], [0, 0, 2, 2], [1, 1, 3, 3]),
                     torch.tensor([.2, .9, .5]), 1).tolist() == [0, 2]


@pytest.mark.parametrize('seed', range(4))
def test_mask_overlaps_equal_numpy_iou(seed):
    """Mask IoU with the previous track (computed on its extent) equals the
    IoU of numpy masks over the whole frame, for masks anywhere (not tied
    to their boxes), an empty previous mask and empty candidates."""
    rng = np.random.default_rng(seed)
    prev = np.zeros((30, 40), bool)
    if seed:
        prev[5 + seed:20, 3:25 - seed] = rng.random((15 - seed, 22 - seed)) > .3
    cand = rng.random((5, 30, 40)) > 0.6
    cand[0] = False
    cand[1] = prev
    s = TemporalSmoother()
    s.reset(torch.tensor([0., 0., 10., 10.]), torch.from_numpy(prev))
    got = s.overlaps(torch.zeros(5, 4), torch.from_numpy(cand))
    inter = (cand & prev).reshape(5, -1).sum(1)
    union = (cand | prev).reshape(5, -1).sum(1)
    ref = np.where(union > 0, inter / np.maximum(union, 1), 0.)
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-6, atol=0)
