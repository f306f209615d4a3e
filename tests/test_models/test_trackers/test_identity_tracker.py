# Copyright (c) mmtao contributors. All rights reserved.
import pytest
import torch

from mmtao.models.trackers import IdentityTracker, SOTTracker, build_tracker
from mmtao.models.trackers.template_memory import weighted_ridge
from tiny_tracking import cands, frame, tiny_model

FULL = dict(
    type='IdentityTracker',
    init_positives='mask',
    memory=dict(max_pos_updates=2, max_neg_updates=2),
    update=dict(gate=0.0, interval=1, grid=3),
    hard_negatives=dict(min_score=0.0, max_iou=0.3, num=2),
    others_as_negatives=True,
    motion=dict(type='MotionPrior'),
    exclusive=True,
    presence=dict(
        type='PresenceCalibration',
        cues=['logit_score', 'sim_first', 'motion'],
        weights=[1., 1., 1.],
        bias=-1.))


@pytest.fixture(scope='module')
def model():
    return tiny_model()


BOXES = [[4., 4., 20., 20.], [30., 10., 60., 40.]]


def test_all_parts_off_is_the_top1_tracker(model):
    """With every option off the choice is the paper's top-1 (no smoother)
    and the presence the detector confidence."""
    a = SOTTracker(temporal=None)
    b = IdentityTracker(temporal=None)
    img, meta = frame(model)
    a.init(model, img, meta, BOXES)
    b.init(model, img, meta, BOXES)
    torch.testing.assert_close(b.templates, a.templates, rtol=0, atol=0)
    for seed in (1, 2, 3):
        ra = a.track(model, *frame(model, seed))
        rb = b.track(model, *frame(model, seed))
        torch.testing.assert_close(rb.bboxes, ra.bboxes, rtol=0, atol=0)
        assert rb.scores.tolist() == ra.scores.tolist()
        assert torch.equal(rb.masks, ra.masks)


def test_build_tracker_reads_test_cfg():
    from mmengine.config import ConfigDict
    smoother = dict(type='TemporalSmoother')
    t = build_tracker(ConfigDict(temporal=smoother))
    assert type(t) is SOTTracker and t.temporal_cfg == smoother
    t = build_tracker(ConfigDict(temporal=smoother, tracker=FULL))
    assert isinstance(t, IdentityTracker) and t.temporal_cfg == smoother
    t = build_tracker(ConfigDict(temporal=smoother, tracker=FULL), False)
    assert t.temporal_cfg is None
    t = build_tracker(
        ConfigDict(temporal=smoother, tracker=dict(FULL, temporal=None)))
    assert t.temporal_cfg is None


def test_memory_grows_bounded_and_templates_are_its_solve(model):
    tracker = build_tracker(dict(tracker=FULL, temporal=None))
    img, meta = frame(model)
    tracker.init(model, img, meta, BOXES)
    # mask positives: rows on the 5x5 grid where the box's mask is on (or
    # the centre); one entry shared by its rows
    first = tracker.memory.objects[0]['pos'][0]
    assert 1 <= len(first.rows) <= 25
    for seed in (1, 2, 3):
        out = tracker.track(model, *frame(model, seed))
        assert ((out.scores >= 0) & (out.scores <= 1)).all()
    for k in range(2):
        obj = tracker.memory.objects[k]
        assert len(obj['pos_updates']) == 2  # bounded, gate 0: every frame
        assert len(obj['neg_updates']) <= 2
        rows, w, y, p = tracker.memory.stacked([k], tracker.frame)
        ref = weighted_ridge(rows.double(), w.double(), y.double(), p,
                             tracker.memory.reg)
        torch.testing.assert_close(tracker.templates[k].double(), ref[0],
                                   rtol=1e-5, atol=1e-6)
    cues = tracker.last_cues
    assert set(cues) >= {'score', 'sim_first', 'sim_now', 'motion',
                         'presence'}
    z = -1 + cues['logit_score'] + cues['sim_first'] + cues['motion']
    torch.testing.assert_close(cues['presence'], torch.sigmoid(z))


def test_two_objects_do_not_collapse_onto_one(model):
    img, meta = frame(model)
    same = [[5., 5., 21., 21.], [31., 11., 61., 41.]]
    for exclusive, expected in ((False, [0, 0]), (True, [0, 1])):
        tracker = IdentityTracker(temporal=None, exclusive=exclusive)
        tracker.init(model, img, meta, BOXES)
        tracker._feats, tracker._meta = tracker._feats, meta
        # both objects' best candidate is the first place; object 0 is
        # surer of it
        out = tracker._select_next(
            model, [cands(same, [0.9, 0.2]), cands(same, [0.6, 0.5])], None)
        got = [int(torch.all(out.bboxes[k] == torch.tensor(same[0])) == 0)
               for k in range(2)]
        assert got == expected


def test_correct_and_state_with_identity_tracker(model):
    tracker = build_tracker(dict(tracker=FULL, temporal=dict(
        type='TemporalSmoother')))
    img, meta = frame(model)
    tracker.init(model, img, meta, BOXES)
    tracker.track(model, *frame(model, 1))
    snap = tracker.get_state()
    a = tracker.track(model, *frame(model, 2))
    fix = [34., 2., 62., 30.]
    tracker.correct(model, {1: fix})
    centre = torch.tensor([48., 16.])
    torch.testing.assert_close(tracker.motions[1].centre, centre)
    assert tracker.motions[1].lost == 0
    tracker.set_state(snap)
    a2 = tracker.track(model, *frame(model, 2))
    torch.testing.assert_close(a2.bboxes, a.bboxes, rtol=0, atol=0)
    torch.testing.assert_close(a2.scores, a.scores, rtol=0, atol=0)
