# Copyright (c) mmtao contributors. All rights reserved.
"""BoxConvention: the drawn box's offset from the detector's box on the
first frame, applied to later choices (hand-computed references)."""
import math

import pytest
import torch
from mmdet.structures.bbox import bbox_overlaps
from mmengine.structures import InstanceData

from mmtao.models.trackers import BoxConvention, IdentityTracker, SOTTracker
from tiny_tracking import H, W, frame, tiny_model


def _cands(boxes, scores):
    return InstanceData(
        bboxes=torch.tensor(boxes).float().reshape(-1, 4),
        scores=torch.tensor(scores).float())


def test_fit_by_hand_and_apply_maps_the_detector_box_back():
    conv = BoxConvention(max_scale=2., max_shift=0.5)
    drawn = torch.tensor([[10., 20., 50., 100.]])  # 40x80 at (30, 60)
    det = [10., 30., 42., 90.]  # 32x60 at (26, 60)
    off = conv.fit(drawn, [_cands([det], [0.9])], (200, 200))
    # by hand: dx = 4/32, dy = 0, sw = log(40/32), sh = log(80/60)
    torch.testing.assert_close(
        off[0],
        torch.tensor([4 / 32, 0., math.log(40 / 32),
                      math.log(80 / 60)]))
    # the same detector box comes back as the drawn box ...
    torch.testing.assert_close(
        conv.apply(torch.tensor([det]), off, (200, 200)), drawn)
    # ... and a moved, larger detector box keeps the same proportions
    later = conv.apply(torch.tensor([[110., 30., 174., 150.]]), off,
                       (400, 400))  # 64x120 at (142, 90)
    torch.testing.assert_close(
        later, torch.tensor([[150. - 40., 90. - 80., 150. + 40., 90. + 80.]]))


def test_most_confident_overlapping_candidate_and_no_match():
    conv = BoxConvention(min_iou=0.5)
    drawn = torch.tensor([[0., 0., 20., 20.], [50., 50., 60., 60.]])
    cands = [
        # a more confident candidate elsewhere, two overlapping ones
        _cands([[100., 100., 120., 120.], [0., 0., 18., 20.],
                [2., 0., 20., 20.]], [0.99, 0.5, 0.7]),
        # nothing overlaps the second box enough
        _cands([[50., 50., 70., 70.]], [0.9]),
    ]
    assert float(bbox_overlaps(drawn[1:], cands[1].bboxes)[0, 0]) < 0.5
    off = conv.fit(drawn, cands, (200, 200))
    # the 0.7 candidate, 18x20 at (11, 10): dx = -1/18, sw = log(20/18)
    torch.testing.assert_close(
        off[0], torch.tensor([-1 / 18, 0., math.log(20 / 18), 0.]))
    assert torch.equal(off[1], torch.zeros(4))
    box = torch.tensor([[5., 6., 30., 40.]])
    torch.testing.assert_close(conv.apply(box, off[1:], (200, 200)), box)
    empty = conv.fit(drawn[:1], [_cands([], [])], (200, 200))
    assert torch.equal(empty, torch.zeros(1, 4))


def test_offsets_are_bounded_and_boxes_clipped():
    conv = BoxConvention(max_scale=1.5, max_shift=0.25, min_iou=0.1)
    drawn = torch.tensor([[0., 0., 100., 40.]])  # 100 wide
    det = [10., 0., 50., 40.]  # 40 wide at x 30: the drawn is 2.5x, +0.5
    assert float(bbox_overlaps(drawn, torch.tensor([det]))[0, 0]) >= 0.1
    off = conv.fit(drawn, [_cands([det], [1.])], (40, 100))
    torch.testing.assert_close(
        off[0], torch.tensor([0.25, 0., math.log(1.5), 0.]))
    out = conv.apply(torch.tensor([[0., 0., 40., 40.]]), off, (40, 50))
    # centre 20 + 10, width 60: (0, 60) clipped to the 50-wide frame
    torch.testing.assert_close(out, torch.tensor([[0., 0., 50., 40.]]))
    # soft threshold: |v| - 0.1 kept with v's sign, small ones dropped
    tol = BoxConvention(max_scale=2., max_shift=0.5, tolerance=0.1)
    off = tol.fit(
        torch.tensor([[0., 0., 100., 100.]]),
        [_cands([[0., 0., 80., 100.]], [1.])], (200, 200))
    # raw: dx = 10/80, dy = 0, sw = log(100/80), sh = 0
    torch.testing.assert_close(
        off[0], torch.tensor([0.125 - 0.1, 0., math.log(1.25) - 0.1, 0.]))
    with pytest.raises(ValueError, match='tolerance'):
        BoxConvention(tolerance=-0.1)
    with pytest.raises(ValueError, match='min_iou'):
        BoxConvention(min_iou=0.)
    with pytest.raises(ValueError, match='max_scale'):
        BoxConvention(max_scale=0.5)


@pytest.fixture(scope='module')
def model():
    return tiny_model()


@pytest.mark.parametrize('tracker_type', [SOTTracker, IdentityTracker])
def test_tracker_reports_chosen_boxes_in_the_drawn_convention(
        model, tracker_type):
    """The same tracker with and without the convention chooses the same
    candidates; with it each reported box is the hand-applied offset of
    the init frame's most confident overlapping candidate."""
    box = torch.tensor([[12., 10., 44., 40.]])
    img0, meta0 = frame(model, 0)
    plain = tracker_type(temporal=dict(type='TemporalSmoother'))
    conv = tracker_type(
        temporal=dict(type='TemporalSmoother'),
        box_convention=dict(min_iou=0.05, max_scale=4., max_shift=1.))
    outs = {}
    for name, tracker in (('plain', plain), ('conv', conv)):
        res = [tracker.init(model, img0, dict(meta0, frame_id=0), box)]
        templates = tracker.templates.clone()
        for seed in (1, 2):
            img, meta = frame(model, seed)
            res.append(tracker.track(model, img, dict(meta, frame_id=seed)))
        outs[name] = res
    torch.testing.assert_close(outs['conv'][0].bboxes, box)
    # the reference offset, by hand, from the init frame's candidates
    with torch.no_grad():
        cands = model.predict_candidates(
            model.extract_feat(img0), templates, meta0, rescale=True)
    c = cands[0]
    ious = bbox_overlaps(box, c.bboxes)[0]
    assert bool((ious >= 0.05).any()), 'the tiny model saw nothing there'
    j = int(torch.where(ious >= 0.05, c.scores, -1 + 0 * c.scores).argmax())
    d = c.bboxes[j]
    dw, dh = d[2] - d[0], d[3] - d[1]
    ref = torch.tensor([
        (box[0, 0] + box[0, 2] - d[0] - d[2]) / 2 / dw,
        (box[0, 1] + box[0, 3] - d[1] - d[3]) / 2 / dh,
        torch.log((box[0, 2] - box[0, 0]) / dw),
        torch.log((box[0, 3] - box[0, 1]) / dh)
    ]).clamp(-1, 1)
    ref[2:] = ref[2:].clamp(-math.log(4.), math.log(4.))
    torch.testing.assert_close(conv.box_offsets[0], ref)
    assert float(ref.abs().max()) > 1e-2  # the check below can fail
    for a, b in zip(outs['plain'][1:], outs['conv'][1:]):
        raw = a.bboxes[0]
        w, h = raw[2] - raw[0], raw[3] - raw[1]
        cx = (raw[0] + raw[2]) / 2 + ref[0] * w
        cy = (raw[1] + raw[3]) / 2 + ref[1] * h
        w, h = w * ref[2].exp(), h * ref[3].exp()
        want = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2,
                            cy + h / 2]).clamp(min=0)
        want[0::2] = want[0::2].clamp(max=W)
        want[1::2] = want[1::2].clamp(max=H)
        torch.testing.assert_close(b.bboxes[0], want)
        torch.testing.assert_close(a.scores, b.scores)
