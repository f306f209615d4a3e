# Copyright (c) mmtao contributors. All rights reserved.
"""Track proposals: each object's last box (scaled) joins its RPN
proposals; the scaling by hand, the boxes the tracker hands the model, and
a choice that can land on them."""
import pytest
import torch

from mmtao.models.trackers import IdentityTracker, SOTTracker
from mmtao.models.trackers.track_proposals import check_scales, scaled_boxes
from tiny_tracking import H, W, frame, tiny_model


def test_scaled_boxes_by_hand_and_clipped_to_the_input():
    boxes = torch.tensor([[10., 20., 30., 44.], [50., 0., 70., 10.]])
    out = scaled_boxes(boxes, (1.0, 2.0), (48, 64))
    assert out.shape == (2, 2, 4)
    # centre (20, 32), half size (10, 12): x 2 -> [0, 8, 40, 56] -> clipped
    torch.testing.assert_close(out[0, 0], boxes[0])
    torch.testing.assert_close(out[0, 1], torch.tensor([0., 8., 40., 48.]))
    # centre (60, 5), half (10, 5): x 2 -> [40, -5, 80, 15] -> clipped
    torch.testing.assert_close(out[1, 1], torch.tensor([40., 0., 64., 15.]))
    # a box wholly outside the input keeps one pixel inside it
    far = scaled_boxes(torch.tensor([[100., 100., 120., 130.]]), (1., ),
                       (48, 64))
    torch.testing.assert_close(far[0, 0], torch.tensor([63., 47., 64., 48.]))


@pytest.mark.parametrize('scales', [(), (0., 1.), (-1., )])
def test_bad_scales_raise(scales):
    with pytest.raises(ValueError, match='track_proposals'):
        check_scales(scales)
    with pytest.raises(ValueError, match='track_proposals'):
        SOTTracker(track_proposals=scales)


@pytest.fixture(scope='module')
def model():
    return tiny_model()


def _spy_extra_proposals(model, monkeypatch) -> list:
    """The ``extra_proposals`` of every later ``predict_candidates`` call
    of ``model``, in order."""
    seen = []
    predict = model.predict_candidates

    def spy(*args, **kwargs):
        seen.append(kwargs.get('extra_proposals'))
        return predict(*args, **kwargs)

    monkeypatch.setattr(model, 'predict_candidates', spy)
    return seen


@pytest.mark.parametrize('tracker_type', [SOTTracker, IdentityTracker])
def test_tracker_proposes_its_last_boxes(model, tracker_type, monkeypatch):
    """Every track step hands the model each object's last reported box,
    scaled by each factor, in input pixels (here the frame's); the model's
    candidates then include the box head's result for them."""
    boxes = torch.tensor([[12., 10., 44., 40.], [2., 20., 22., 46.]])
    scales = (0.5, 1.0)
    tracker = tracker_type(track_proposals=scales)
    seen = _spy_extra_proposals(model, monkeypatch)
    img0, meta0 = frame(model, 0)
    last = tracker.init(model, img0, dict(meta0, frame_id=0), boxes).bboxes
    seen.clear()  # init's own passes propose nothing of the track
    for seed in (1, 2):
        img, meta = frame(model, seed)
        out = tracker.track(model, img, dict(meta, frame_id=seed))
        extra = seen[-1]
        assert len(extra) == 2
        for k in range(2):
            c = (last[k, :2] + last[k, 2:]) / 2
            half = (last[k, 2:] - last[k, :2]) / 2
            want = torch.stack([
                torch.cat([c - half * s, c + half * s]) for s in scales
            ])
            want[:, 0::2] = want[:, 0::2].clamp(0, W)
            want[:, 1::2] = want[:, 1::2].clamp(0, H)
            torch.testing.assert_close(extra[k], want)
        last = out.bboxes


def test_without_track_proposals_nothing_is_added(model, monkeypatch):
    tracker = SOTTracker()
    seen = _spy_extra_proposals(model, monkeypatch)
    img0, meta0 = frame(model, 0)
    tracker.init(model, img0, dict(meta0, frame_id=0),
                 torch.tensor([[12., 10., 44., 40.]]))
    img, meta = frame(model, 1)
    tracker.track(model, img, dict(meta, frame_id=1))
    assert seen and all(e is None for e in seen)
