# Copyright (c) mmtao contributors. All rights reserved.
import pytest
import torch
from mmengine.structures import InstanceData

from mmtao.models.trackers import SOTTracker, TemporalSmoother
from tiny_tracking import H, W, cands, frame, tiny_model

SMOOTHER = dict(
    type='TemporalSmoother',
    alpha=0.6,
    low_iou=0.1,
    recover_iou=0.3,
    recover_frames=30)


@pytest.fixture(scope='module')
def model():
    return tiny_model()


def test_box_masks_are_the_pixel_centres_in_the_box():
    # centres (0.5, 1.5, ...); a centre on the border counts
    masks = SOTTracker.box_masks(
        torch.tensor([[0., 0., 2., 1.], [1.5, 0.4, 3.6, 2.5]]), 3, 4)
    expected = torch.tensor([[[1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]],
                             [[0, 1, 1, 1], [0, 1, 1, 1], [0, 1, 1, 1]]])
    assert torch.equal(masks, expected.bool())


@pytest.mark.parametrize('temporal', [None, SMOOTHER])
def test_selection_presence_and_no_candidate(model, temporal):
    tracker = SOTTracker(temporal=temporal)
    img, meta = frame(model)
    init_boxes = [[4., 4., 20., 20.], [30., 10., 60., 40.]]
    first = tracker.init(model, img, meta, init_boxes)
    assert first.scores.tolist() == [1., 1.]
    assert first.instances_id.tolist() == [0, 1]
    assert torch.equal(first.masks,
                       SOTTracker.box_masks(torch.tensor(init_boxes), H, W))
    if temporal is not None:
        # the smoother starts from the init box and its box-area mask
        s = tracker.smoothers[1]
        assert isinstance(s, TemporalSmoother)
        assert torch.equal(s.prev_mask, first.masks[1])
    # object 0: a confident far box vs a weaker overlapping one;
    # object 1: no candidate at all
    c0 = cands([[40., 30., 60., 46.], [5., 5., 21., 21.]], [0.7, 0.55])
    out = tracker.select([c0, cands([], [])])
    if temporal is None:
        pick = 0  # top-1
    else:
        # re-scored 0.6 c + 0.4 mask IoU: 0.42 + 0 vs 0.33 + 0.4 * IoU
        iou = float((c0.masks[1] & first.masks[0]).sum() /
                    (c0.masks[1] | first.masks[0]).sum())
        assert 0.33 + 0.4 * iou > 0.42
        pick = 1
    torch.testing.assert_close(out.bboxes[0], c0.bboxes[pick])
    # presence = the chosen candidate's own detector confidence
    assert float(out.scores[0]) == pytest.approx(float(c0.scores[pick]))
    assert torch.equal(out.masks[0], c0.masks[pick])
    # no candidate: last box and mask kept, presence 0
    torch.testing.assert_close(out.bboxes[1], torch.tensor(init_boxes[1]))
    assert float(out.scores[1]) == 0.
    assert torch.equal(out.masks[1], first.masks[1])
    # the result owns its storage (no view of the candidates)
    assert out.masks.untyped_storage().nbytes() == out.masks.numel()
    with pytest.raises(ValueError, match='1 candidate sets for 2 objects'):
        tracker.select([c0])



@pytest.mark.parametrize('temporal', [None, SMOOTHER])
def test_masks_on_demand_choose_as_all_masks_do(model, temporal):
    """select with a masks function (the lean step's lazy masks) picks the
    tracks, presence and masks that select on candidates carrying all
    their masks picks, asks only for the masks it needs, and keeps the
    last box and mask of an object without candidates."""
    img, meta = frame(model)
    init_boxes = [[4., 4., 20., 20.], [30., 10., 60., 40.],
                  [2., 30., 22., 46.]]
    full, lazy = SOTTracker(temporal=temporal), SOTTracker(temporal=temporal)
    for tracker in (full, lazy):
        tracker.init(model, img, meta, init_boxes)
    frames = [
        # object 0: a confident far box vs a weaker overlapping one; 1: no
        # candidate; 2: a clear winner and a hopeless rival
        [cands([[40., 30., 60., 46.], [5., 5., 21., 21.]], [0.7, 0.55]),
         cands([], []),
         cands([[2., 30., 22., 46.], [40., 2., 50., 12.]], [0.9, 0.1])],
        [cands([[6., 6., 22., 22.], [4., 4., 20., 20.], [40., 30., 60., 46.]],
               [0.5, 0.5, 0.45]),
         cands([[31., 11., 61., 41.]], [0.3]),
         cands([[3., 31., 23., 47.], [40., 2., 50., 12.]], [0.8, 0.05])],
    ]
    for candidates in frames:
        asked = []

        def masks(obj_inds, cand_inds):
            asked.extend(zip(obj_inds, cand_inds))
            return torch.stack([candidates[k].masks[i]
                                for k, i in zip(obj_inds, cand_inds)]) \
                if len(obj_inds) else torch.zeros(0, H, W, dtype=torch.bool)

        bare = [InstanceData(bboxes=c.bboxes, scores=c.scores)
                for c in candidates]
        a = full.select(candidates)
        b = lazy.select(bare, masks)
        full.last, lazy.last = a, b
        torch.testing.assert_close(b.bboxes, a.bboxes, rtol=0, atol=0)
        assert b.scores.tolist() == a.scores.tolist()
        assert torch.equal(b.masks, a.masks)
        num_cands = sum(len(c) for c in candidates)
        assert len(set(asked)) == len(asked) < num_cands
        # the top-confidence candidate of every object with candidates
        for k, c in enumerate(candidates):
            if len(c):
                assert (k, int(c.scores.argmax())) in asked
        if temporal is None:
            assert len(asked) == sum(len(c) > 0 for c in candidates)
        else:
            for s_a, s_b in zip(full.smoothers, lazy.smoothers):
                assert (s_a.enabled, s_a.smooth_count) == (s_b.enabled,
                                                           s_b.smooth_count)
                assert torch.equal(s_a.prev_mask, s_b.prev_mask)


def _mask_iou(a, b):
    union = float((a | b).sum())
    return float((a & b).sum()) / union if union else 0.


@pytest.mark.parametrize('temporal', [None, SMOOTHER])
@pytest.mark.parametrize('lazy', [False, True])
def test_exclusive_choice_is_the_best_distinct_places(model, temporal, lazy):
    """exclusive=True: two tracks never take one place. The choice equals
    an exhaustive search over every object's candidates for the largest
    sum of re-scored confidences (0.6 c + 0.4 mask IoU with the previous
    track, computed here by hand) with chosen boxes of IoU < 0.5; the
    smoothers then hold the chosen masks. With one object it is the plain
    choice."""
    import itertools
    from mmdet.structures.bbox import bbox_overlaps
    img, meta = frame(model)
    init_boxes = [[4., 4., 20., 20.], [8., 6., 24., 22.], [40., 20., 60., 40.]]
    scenarios = [
        # the most confident candidates of objects 0 and 1 are one place;
        # object 2 is alone
        [cands([[5., 5., 21., 21.], [40., 30., 60., 46.]], [0.8, 0.3]),
         cands([[5., 5., 21., 21.], [9., 7., 25., 23.], [30., 2., 40., 12.]],
               [0.9, 0.5, 0.2]),
         cands([[41., 21., 61., 41.], [5., 5., 21., 21.]], [0.7, 0.6])],
        # apart by confidence, but object 0's smoother pulls it onto
        # object 1's place (only with the smoother: a collision found
        # after the own choices)
        [cands([[40., 30., 60., 46.], [6., 5., 22., 21.]], [0.8, 0.75]),
         cands([[5., 5., 21., 21.], [30., 2., 40., 12.]], [0.9, 0.2]),
         cands([[41., 21., 61., 41.]], [0.7])],
    ]
    for candidates in scenarios:
        tracker = SOTTracker(temporal=temporal, exclusive=True)
        first = tracker.init(model, img, meta, init_boxes)

        def rescored(k, i):
            c = float(candidates[k].scores[i])
            if temporal is None:
                return c
            return 0.6 * c + 0.4 * _mask_iou(candidates[k].masks[i],
                                             first.masks[k])

        best, best_sum = None, -1.
        for pick in itertools.product(*[range(len(c))
                                        for c in candidates]):
            boxes = torch.stack([candidates[k].bboxes[i]
                                 for k, i in enumerate(pick)])
            ious = bbox_overlaps(boxes, boxes).triu(1)
            total = sum(rescored(k, i) for k, i in enumerate(pick))
            if float(ious.max()) < 0.5 and total > best_sum:
                best, best_sum = pick, total
        if lazy:
            def masks(obj_inds, cand_inds):
                return torch.stack([candidates[k].masks[i]
                                    for k, i in zip(obj_inds, cand_inds)])

            out = tracker.select(
                [InstanceData(bboxes=c.bboxes, scores=c.scores)
                 for c in candidates], masks)
        else:
            out = tracker.select(candidates)
        for k, i in enumerate(best):
            torch.testing.assert_close(out.bboxes[k],
                                       candidates[k].bboxes[i])
            assert float(out.scores[k]) == pytest.approx(
                float(candidates[k].scores[i]))
            assert torch.equal(out.masks[k], candidates[k].masks[i])
            if temporal is not None:
                assert torch.equal(tracker.smoothers[k].prev_mask,
                                   candidates[k].masks[i])
    candidates = scenarios[0]
    # no two own choices overlap: the choice (and smoother state) of the
    # tracker without the assignment
    apart = [candidates[0], cands([[9., 7., 25., 23.]], [0.5]),
             candidates[2]]
    trackers = [SOTTracker(temporal=temporal, exclusive=e)
                for e in (True, False)]
    outs = []
    for t in trackers:
        t.init(model, img, meta, init_boxes)
        outs.append(t.select(apart))
    torch.testing.assert_close(outs[0].bboxes, outs[1].bboxes, rtol=0,
                               atol=0)
    if temporal is not None:
        for a, b in zip(*[t.smoothers for t in trackers]):
            assert torch.equal(a.prev_mask, b.prev_mask)
            assert (a.enabled, a.smooth_count) == (b.enabled, b.smooth_count)
    # one object: exclusive or not, the same choice and state
    single = [SOTTracker(temporal=temporal, exclusive=e) for e in (True,
                                                                  False)]
    outs = []
    for t in single:
        t.init(model, img, meta, init_boxes[:1])
        outs.append(t.select(candidates[:1]))
    torch.testing.assert_close(outs[0].bboxes, outs[1].bboxes, rtol=0,
                               atol=0)
    with pytest.raises(ValueError, match='assignment_top'):
        SOTTracker(exclusive=True, assignment_top=0)


@pytest.mark.parametrize('temporal', [None, SMOOTHER])
def test_motion_prior_reweights_the_choice_not_the_presence(model, temporal):
    """With a motion prior the choice is made on confidence x factor (a
    near weaker candidate beats a far stronger one), the reported presence
    is still the chosen candidate's confidence, only confident tracks move
    the prior, and a correction restarts it; without one the choice is the
    paper's."""
    img, meta = frame(model)
    motion = dict(type='MotionPrior', sigma=1.0, growth=0.5, floor=0.2)
    plain = SOTTracker(temporal=temporal)
    moved = SOTTracker(temporal=temporal, motion=motion, motion_gate=0.5)
    box = [4., 4., 20., 20.]  # centre (12, 12), size 16
    for tracker in (plain, moved):
        tracker.init(model, img, meta, [box])
    assert plain.motions == [None] and plain.motion_factors([]) is None
    # a far box 0.7 (3 sizes away) vs a near one 0.3 (no overlap with the
    # init box: the smoother's overlap term is 0 for both)
    c = cands([[52., 4., 68., 20.], [21., 4., 37., 20.]], [0.7, 0.3])
    factors = moved.motion_factors([c])[0]
    d = torch.tensor([48., 17.]) / 16
    torch.testing.assert_close(factors, 0.2 + 0.8 * torch.exp(-0.5 * d**2))
    a = plain._select_next(model, [c], None)
    b = moved._select_next(model, [c], None)
    torch.testing.assert_close(a.bboxes[0], c.bboxes[0])
    torch.testing.assert_close(b.bboxes[0], c.bboxes[1])
    assert float(b.scores[0]) == pytest.approx(0.3)
    # 0.3 < motion_gate: the prior stays at the init box, one frame lost
    prior = moved.motions[0]
    assert prior.lost == 1 and prior.centre.tolist() == [12., 12.]
    # a confident track moves it
    moved.last = b
    moved._select_next(model, [cands([[22., 4., 38., 20.]], [0.9])], None)
    assert prior.lost == 0 and prior.centre.tolist() == [30., 12.]
    # a correction restarts it at the drawn box
    moved.correct(model, {0: [40., 30., 60., 46.]})
    assert prior.centre.tolist() == [50., 38.] and prior.lost == 0


def test_track_goes_through_the_model_and_checks_the_frame(model):
    tracker = SOTTracker(temporal=SMOOTHER)
    img, meta = frame(model)
    with pytest.raises(RuntimeError, match='init'):
        tracker.track(model, img, meta)
    tracker.init(model, img, meta, [[4., 4., 20., 20.]])
    out = tracker.track(model, *frame(model, 1))
    assert out.bboxes.shape == (1, 4) and out.masks.shape == (1, H, W)
    assert 0 <= float(out.scores[0]) <= 1
    img2, meta2 = frame(model, 2)
    meta2['ori_shape'] = (H + 1, W)
    with pytest.raises(ValueError, match=r'frame 1 is 64x49 \(WxH\)'):
        tracker.track(model, img2, meta2)


@pytest.mark.parametrize('boxes,msg', [
    ([], 'K >= 1'),
    ([[1., 2., 3.]], r'shape \(1, 3\)'),
    ('abcd', '4 numbers'),
    ([[1., 1., 1., 9.]], 'non-positive size'),
])
def test_bad_boxes(model, boxes, msg):
    img, meta = frame(model)
    with pytest.raises(ValueError, match=msg):
        SOTTracker().init(model, img, meta, boxes)


def test_smoother_is_found_whatever_the_default_scope():
    """A process that ran mmdet code may have 'mmdet' as its default scope,
    whose registry cannot see mmtao's TemporalSmoother."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmdet'):
        smoother = SOTTracker(temporal=SMOOTHER)._new_smoother()
    assert isinstance(smoother, TemporalSmoother)
    assert SOTTracker()._new_smoother() is None
