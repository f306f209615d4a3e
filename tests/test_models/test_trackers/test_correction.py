# Copyright (c) mmtao contributors. All rights reserved.
"""SOTTracker.correct / get_state / set_state (the contract of the web
demo): corrections join the template memory, no backbone pass."""
import numpy as np
import pytest
import torch

from mmtao.models.trackers import SOTTracker
from tiny_tracking import H, W, frame, tiny_model

SMOOTHER = dict(type='TemporalSmoother')


@pytest.fixture(scope='module')
def model():
    return tiny_model()


def ridge64(rows, targets, reg):
    A = np.asarray(rows, np.float64)
    y = np.asarray(targets, np.float64)
    lam = reg * (A[y > 0]**2).sum(1).mean()
    return np.linalg.solve(A.T @ A + lam * np.eye(A.shape[1]), A.T @ y)


def centre_row(model, feats, box):
    head = model.template_head
    lvl = int(head.map_levels(torch.tensor([[0.] + list(box)]))[0])
    x = torch.tensor([(box[0] + box[2]) / 2])
    y = torch.tensor([(box[1] + box[3]) / 2])
    from mmtao.models.trackers.template_memory import sample_points
    return sample_points(feats[lvl][0], x, y, head.featmap_strides[lvl])


@pytest.mark.parametrize('temporal', [None, SMOOTHER])
def test_correct_joins_memory_without_a_backbone_pass(model, temporal):
    tracker = SOTTracker(temporal=temporal)
    img, meta = frame(model)
    init_boxes = [[4., 4., 20., 20.], [30., 10., 60., 40.]]
    tracker.init(model, img, meta, init_boxes)
    paper_templates = tracker.templates.clone()
    # the paper's templates until a correction
    torch.testing.assert_close(
        paper_templates, model.template_head(tracker._feats,
                                             [torch.tensor(init_boxes)],
                                             [meta]), rtol=0, atol=0)
    out = tracker.track(model, *frame(model, 1))
    predicted = out.bboxes[1].tolist()
    feats = tracker._feats
    fix = [34., 2., 62., 30.]
    calls = []
    orig = model.extract_feat
    model.extract_feat = lambda *a: calls.append(1) or orig(*a)
    try:
        res = tracker.correct(model, {1: fix})
    finally:
        model.extract_feat = orig
    assert not calls  # the stored features, no backbone pass
    torch.testing.assert_close(res.bboxes[1], torch.tensor(fix))
    assert float(res.scores[1]) == 1.
    torch.testing.assert_close(res.bboxes[0], out.bboxes[0])
    assert torch.equal(res.masks[1],
                       SOTTracker.box_masks(torch.tensor([fix]), H, W)[0])
    # object 0 keeps the paper's template; object 1's is the ridge solve
    # on its first-frame rows + the correction (+ the wrong box when it
    # does not overlap the correction), in float64
    torch.testing.assert_close(tracker.templates[0], paper_templates[0])
    first = tracker.memory.objects[1]
    rows = [first['pos'][0].rows, first['neg'][0].rows,
            centre_row(model, feats, fix)]
    targets = [1.] + [0.] * len(first['neg'][0].rows) + [1.]
    from mmdet.structures.bbox import bbox_overlaps
    iou = float(bbox_overlaps(torch.tensor([fix]), torch.tensor([predicted])))
    if iou < 0.3:
        rows.append(centre_row(model, feats, predicted))
        targets.append(0.)
        assert first['corrections'][0][1] is not None
    else:
        assert first['corrections'][0][1] is None
    ref = ridge64(torch.cat(rows).numpy(), targets, model.template_head.reg)
    np.testing.assert_allclose(tracker.templates[1].double().numpy(), ref,
                               rtol=1e-4, atol=1e-5)
    if temporal is not None:
        torch.testing.assert_close(tracker.smoothers[1].prev_bbox,
                                   torch.tensor(fix))
    # tracking carries on
    nxt = tracker.track(model, *frame(model, 2))
    assert nxt.bboxes.shape == (2, 4)


def test_correct_refuses_bad_input(model):
    tracker = SOTTracker()
    with pytest.raises(ValueError, match='before init'):
        tracker.correct(model, {0: [1, 2, 3, 4]})
    img, meta = frame(model)
    tracker.init(model, img, meta, [[4., 4., 20., 20.]])
    with pytest.raises(ValueError, match='unknown object index 1'):
        tracker.correct(model, {1: [1, 2, 10, 10]})
    with pytest.raises(ValueError, match='unknown object index -1'):
        tracker.correct(model, {-1: [1, 2, 10, 10]})
    with pytest.raises(ValueError, match='object 0.*outside the image'):
        tracker.correct(model, {0: [70, 50, 90, 60]})
    with pytest.raises(ValueError, match='object 0.*non-positive size'):
        tracker.correct(model, {0: [5, 5, 5, 10]})
    with pytest.raises(ValueError, match='object 0.*4 numbers'):
        tracker.correct(model, {0: [5, 5, 10]})
    with pytest.raises(ValueError, match='non-empty dict'):
        tracker.correct(model, [[1, 2, 3, 4]])


@pytest.mark.parametrize('temporal', [None, SMOOTHER])
def test_state_snapshot_replays_and_is_deep(model, temporal):
    tracker = SOTTracker(temporal=temporal)
    img, meta = frame(model)
    tracker.init(model, img, meta, [[4., 4., 20., 20.], [30., 10., 60., 40.]])
    tracker.track(model, *frame(model, 1))
    snap = tracker.get_state()
    assert '_feats' not in snap['state']
    a = tracker.track(model, *frame(model, 2))
    tracker.correct(model, {0: [40., 30., 60., 46.]})
    b_after = tracker.track(model, *frame(model, 3))
    # restore the snapshot after frame 1 and replay frame 2
    tracker.set_state(snap)
    with pytest.raises(ValueError, match='before init'):
        tracker.correct(model, {0: [1., 1., 9., 9.]})
    a2 = tracker.track(model, *frame(model, 2))
    torch.testing.assert_close(a2.bboxes, a.bboxes, rtol=0, atol=0)
    assert a2.scores.tolist() == a.scores.tolist()
    assert torch.equal(a2.masks, a.masks)
    assert tracker.frame == 2
    assert len(tracker.memory.objects[0]['corrections']) == 0
    # the snapshot was not changed by tracking on from it
    tracker.correct(model, {0: [40., 30., 60., 46.]})
    assert len(snap['state']['memory'].objects[0]['corrections']) == 0
    b2 = tracker.track(model, *frame(model, 3))
    torch.testing.assert_close(b2.bboxes, b_after.bboxes, rtol=0, atol=0)
    with pytest.raises(ValueError, match='snapshot'):
        tracker.set_state({'templates': None})
