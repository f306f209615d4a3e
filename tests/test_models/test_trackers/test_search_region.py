# Copyright (c) mmtao contributors. All rights reserved.
"""SearchRegion: windows by hand, crops against slicing / interpolation,
and a tracker whose window is the whole frame equal to the paper's."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData

from mmtao.models.trackers import SearchRegion, SOTTracker
from mmtao.models.trackers.search_region import paste
from tiny_tracking import H, W, frame, tiny_model

FRAME = (480, 640)


def region(**kw):
    cfg = dict(input_size=(416, 320), object_px=(32, 128), max_zoom=4.0,
               context=4.0)
    cfg.update(kw)
    return SearchRegion(**cfg)


G = min(416 / 640, 320 / 480)  # the whole-frame view's scale


def test_window_of_an_object_at_its_whole_frame_scale():
    s = region()
    s.add(torch.tensor([[270., 190., 370., 290.]]))  # 100x100 at the centre
    x0, y0, z, w_in, h_in = s.window(FRAME)
    # 65 input pixels across: inside (32, 128), so the paper's scale; the
    # window 4 x 100 high, 520 wide, rounded up to multiples of 32
    assert z == pytest.approx(G)
    assert (w_in, h_in) == (352, 288)
    assert x0 == pytest.approx((60 + 580 - 352 / G) / 2)
    assert y0 == pytest.approx((40 + 440 - 288 / G) / 2)


def test_small_and_large_objects_are_scaled_into_the_band():
    s = region()
    # a 10x10 object in the corner: magnified, at most 4x, window shifted in
    s.add(torch.tensor([[0., 0., 10., 10.]]))
    x0, y0, z, w_in, h_in = s.window(FRAME)
    assert z == pytest.approx(4 * G)
    # the window (52 x 40 around the corner) cut by the frame: 31 x 25
    assert (x0, y0) == (0., 0.) and (w_in, h_in) == (96, 96)
    # a frame-filling object: shrunk to 128 pixels across; the whole frame
    # in a smaller input, at the top-left
    s = region()
    s.add(torch.tensor([[20., 10., 620., 470.]]))
    x0, y0, z, w_in, h_in = s.window(FRAME)
    assert z == pytest.approx(128 / (600 * 460)**0.5)
    assert (w_in, h_in) == (160, 128) and (x0, y0) == (0., 0.)


def test_window_widens_while_lost_up_to_the_whole_frame():
    s = region(conf_thr=0.5, growth=2.0)
    s.add(torch.tensor([[300., 220., 340., 260.]]))  # 40x40: 32 / 40 = 0.8
    assert s.window(FRAME)[2:] == (pytest.approx(0.8), 192, 128)
    box = torch.tensor([[0., 0., 5., 5.]])
    s.update(box, torch.tensor([0.1]))  # not confident: stays, lost 1
    assert s.centres[0] == (320., 240.) and s.lost == [1]
    assert s.window(FRAME)[2:] == (pytest.approx(0.8), 352, 256)
    s.update(box, torch.tensor([0.1]))
    s.update(box, torch.tensor([0.1]))
    assert s.window(FRAME) == (0., 0., pytest.approx(G), 416, 320)
    s.update(torch.tensor([[100., 100., 160., 160.]]), torch.tensor([0.9]))
    assert s.lost == [0] and s.centres[0] == (130., 130.)
    assert s.sizes[0] == pytest.approx(0.5 * 40 + 0.5 * 60)


def test_window_of_several_objects_holds_every_window():
    s = region()
    s.add(torch.tensor([[50., 50., 100., 100.], [500., 300., 560., 380.]]))
    x0, y0, z, w_in, h_in = s.window(FRAME)
    assert z <= min(s.zoom(50., FRAME), s.zoom((60 * 80)**0.5, FRAME))
    for box in ([50., 50., 100., 100.], [500., 300., 560., 380.]):
        assert x0 <= box[0] and y0 <= box[1]
        assert box[2] <= x0 + w_in / z and box[3] <= y0 + h_in / z


def test_crop_is_slicing_and_interpolation_of_the_frame():
    img = torch.rand(1, 3, 60, 80)
    meta = dict(img_shape=(60, 80), ori_shape=(120, 160),
                scale_factor=(0.5, 0.5))
    s = SearchRegion(input_size=(40, 32))
    # zoom 0.5 on the original = 1 tensor pixel per input pixel
    out, m = s.crop(img, meta, (20., 10., 0.5, 40, 32))
    torch.testing.assert_close(out, img[:, :, 5:37, 10:50])
    assert m['ori_shape'] == (64, 80) and m['crop_origin'] == (20., 10.)
    assert m['scale_factor'] == (0.5, 0.5)
    # zoom 1 on the original = 2x magnification of the tensor
    out, m = s.crop(img, meta, (40., 20., 1., 40, 32))
    ref = F.interpolate(img[:, :, 10:26, 20:40], (32, 40), mode='bilinear',
                        align_corners=False)
    torch.testing.assert_close(out, ref)
    # a window past the frame's right / bottom: zeros there, and the
    # input's real part ends where the frame does
    out, m = s.crop(img, meta, (100., 80., 0.5, 40, 32))
    torch.testing.assert_close(out[:, :, :20, :30], img[:, :, 40:, 50:])
    assert out[:, :, 20:].abs().sum() == 0
    assert out[:, :, :, 30:].abs().sum() == 0
    assert m['img_shape'] == (20, 30)


def test_to_frame_shifts_boxes_and_pastes_masks():
    meta = dict(crop_origin=(10., 20.), frame_shape=(40, 50))
    masks = torch.zeros(1, 30, 30, dtype=torch.bool)
    masks[0, 0:5, 0:5] = True
    cands = [InstanceData(bboxes=torch.tensor([[0., 0., 5., 5.]]),
                          scores=torch.tensor([0.7]), masks=masks)]
    out, lazy = SearchRegion.to_frame(cands, lambda o, c: masks, meta)
    torch.testing.assert_close(out[0].bboxes,
                               torch.tensor([[10., 20., 15., 25.]]))
    ref = torch.zeros(1, 40, 50, dtype=torch.bool)
    ref[0, 20:25, 10:15] = True
    assert torch.equal(out[0].masks, ref) and torch.equal(lazy([0], [0]), ref)
    # a window partly outside the frame: what is outside is cut
    assert torch.equal(paste(masks, -2., 38., 40, 50)[0, 38:40, 0:3],
                       torch.ones(2, 3, dtype=torch.bool))


def test_relative_confidence_keeps_the_window_of_a_high_scoring_object():
    """conf_rel: a track moves the window only from conf_rel times the
    object's running score (the mean of the scores that moved it, weight
    size_momentum), on top of conf_thr; a correction forgets the score."""
    s = region(conf_thr=0.3, conf_rel=0.8, size_momentum=0.5)
    s.add(torch.tensor([[300., 220., 340., 260.], [0., 0., 20., 20.]]))
    far = torch.tensor([[100., 100., 140., 140.], [40., 40., 60., 60.]])
    # first tracks set the running scores: 0.9 and 0.35 (both >= conf_thr)
    s.update(far, torch.tensor([0.9, 0.35]))
    assert s.ref_scores == [pytest.approx(0.9), pytest.approx(0.35)]
    assert s.centres == [(120., 120.), (50., 50.)] and s.lost == [0, 0]
    # 0.6 < 0.8 * 0.9 = 0.72: object 0 stays (lost 1); 0.3 >= 0.8 * 0.35
    # = 0.28 and >= conf_thr: object 1 moves
    moved = torch.tensor([[200., 200., 240., 240.], [60., 60., 80., 80.]])
    s.update(moved, torch.tensor([0.6, 0.3]))
    assert s.centres == [(120., 120.), (70., 70.)] and s.lost == [1, 0]
    assert s.ref_scores == [pytest.approx(0.9), pytest.approx(0.325)]
    # 0.8 >= 0.72: moves, running score 0.5 * 0.9 + 0.5 * 0.8
    s.update(moved, torch.tensor([0.8, 0.1]))
    assert s.centres[0] == (220., 220.) and s.lost == [0, 1]
    assert s.ref_scores[0] == pytest.approx(0.85)
    s.restart(0, torch.tensor([0., 0., 10., 10.]))
    assert s.ref_scores[0] is None
    # conf_rel 0 (the default) is conf_thr alone
    s = region(conf_thr=0.3)
    s.add(torch.tensor([[300., 220., 340., 260.]]))
    s.update(far[:1], torch.tensor([0.9]))
    s.update(moved[:1], torch.tensor([0.31]))
    assert s.centres == [(220., 220.)]


def test_bad_options():
    with pytest.raises(ValueError, match='conf_rel'):
        SearchRegion(conf_rel=1.5)
    with pytest.raises(ValueError, match='object_px'):
        SearchRegion(object_px=(64., 32.))
    with pytest.raises(ValueError, match='input_size'):
        SearchRegion(input_size=(16, 16))


@pytest.fixture(scope='module')
def model():
    return tiny_model()


def test_whole_frame_window_tracks_as_the_paper(model):
    """A window that is the whole (padded) frame at scale 1 is the paper's
    input: the same tracks, masks and corrections, bit for bit."""
    # frames 48x64 padded to 64x64; input 64x64 at zoom 1, a window of the
    # whole frame whatever the object does
    search = dict(input_size=(64, 64), object_px=(1., 1000.), max_zoom=1.,
                  context=100.)
    temporal = dict(type='TemporalSmoother')
    paper = SOTTracker(temporal=temporal)
    ours = SOTTracker(temporal=temporal, search=search)
    img, meta = frame(model, 0)
    box = torch.tensor([[20., 30., 40., 46.]])
    outs = []
    for tracker in (paper, ours):
        res = [tracker.init(model, img, dict(meta, frame_id=0), box)]
        for seed in (1, 2):
            img_t, meta_t = frame(model, seed)
            res.append(tracker.track(model, img_t, dict(meta_t,
                                                        frame_id=seed)))
        res.append(tracker.correct(model, {0: [5., 5., 25., 30.]}))
        img_t, meta_t = frame(model, 3)
        res.append(tracker.track(model, img_t, dict(meta_t, frame_id=3)))
        outs.append(res)
    assert ours._meta['ori_shape'] == (64, 64)  # the window was used
    for a, b in zip(*outs):
        torch.testing.assert_close(a.bboxes, b.bboxes, rtol=0, atol=0)
        torch.testing.assert_close(a.scores, b.scores, rtol=0, atol=0)
        assert a.masks.shape == (1, H, W) and torch.equal(a.masks, b.masks)
    torch.testing.assert_close(paper.templates, ours.templates, rtol=0,
                               atol=0)


def test_network_sees_the_window(model):
    """The backbone gets the window at input_size, and candidates come back
    in frame pixels (shifted by the window's origin)."""
    seen = []
    extract = model.extract_feat

    def spy(x):
        seen.append(tuple(x.shape[-2:]))
        return extract(x)

    # an 8x8 object magnified 2x (16 input pixels), a window of 4 sizes
    tracker = SOTTracker(search=dict(input_size=(64, 64), object_px=(16.,
                                                                     64.)))
    img, meta = frame(model, 0)
    model.extract_feat = spy
    try:
        tracker.init(model, img, dict(meta, frame_id=0),
                     torch.tensor([[40., 20., 48., 28.]]))
        img_t, meta_t = frame(model, 1)
        out = tracker.track(model, img_t, meta_t)
    finally:
        del model.extract_feat
    assert seen[0] == (64, 64) and len(seen) == 2
    ox, oy = tracker._meta['crop_origin']
    assert (ox, oy) == (28., 8.)  # a magnified window, not the frame
    sx = tracker._meta['scale_factor'][0]
    b = out.bboxes[0]
    assert ox - 1e-4 <= b[0] <= b[2] <= ox + seen[1][1] / sx + 1e-4


def test_identity_tracker_looks_through_the_window(model):
    """IdentityTracker takes the same search option: its rows and boxes go
    through the window's coordinates."""
    from mmtao.models.trackers import IdentityTracker
    tracker = IdentityTracker(
        init_positives='mask',
        update=dict(gate=0., interval=1, grid=2),
        search=dict(input_size=(64, 64), object_px=(16., 64.)))
    assert isinstance(tracker.search, SearchRegion)
    img, meta = frame(model, 0)
    tracker.init(model, img, dict(meta, frame_id=0),
                 torch.tensor([[40., 20., 48., 28.]]))
    assert tracker._meta['crop_origin'] == (28., 8.)
    img_t, meta_t = frame(model, 1)
    out = tracker.track(model, img_t, meta_t)
    assert out.bboxes.shape == (1, 4) and out.masks.shape == (1, H, W)
    assert len(tracker.search.centres) == 1


def test_split_windows_by_hand():
    boxes = torch.tensor([[20., 20., 60., 60.], [580., 420., 620., 460.]])
    # one window holding both (the default)
    s = region()
    s.add(boxes)
    assert s.windows(FRAME) == [([0, 1], s.window(FRAME))]
    # two 40x40 objects in opposite corners, each magnified to 32 input
    # pixels (zoom 0.8): one window holding both would have to shrink to fit
    # 416x320, so each keeps its own window, the one of it alone (208x160
    # around its centre, cut by the frame to 144x120: 128x96 input pixels)
    s = region(split_windows=True)
    s.add(boxes)
    groups = s.windows(FRAME)
    assert [g for g, _ in groups] == [[0], [1]]
    for k, (_, window) in enumerate(groups):
        assert window == s.window(FRAME, objects=[k])
        assert window[2:] == (pytest.approx(0.8), 128, 96)
    # side by side: one window of both costs less than two
    s = region(split_windows=True)
    s.add(torch.tensor([[300., 200., 340., 240.], [330., 210., 370., 250.]]))
    (objs, window), = s.windows(FRAME)
    assert objs == [0, 1] and window == s.window(FRAME)
    w_one = s.window(FRAME, objects=[0])
    assert window[3] * window[4] <= 2 * w_one[3] * w_one[4]
    # a 40x40 object beside a 200x200 one (zooms 0.8 and 0.65): merged
    # under the default ratio 1.5, kept apart under 1.1
    pair = torch.tensor([[300., 200., 340., 240.], [340., 140., 540., 340.]])
    for ratio, expected in ((1.5, [[0, 1]]), (1.1, [[0], [1]])):
        s = region(split_windows=True, merge_zoom_ratio=ratio)
        s.add(pair)
        assert [g for g, _ in s.windows(FRAME)] == expected
    # a lost object's window grows to the whole frame (zoom 0.65): a 40x40
    # object (zoom 0.8) joins it, a 20x20 one (zoom 1.6) keeps its own
    for small, expected in ((40., [[0, 1]]), (20., [[0], [1]])):
        s = region(split_windows=True, growth=2.0)
        s.add(torch.tensor([[20., 20., 60., 60.],
                            [580., 420., 580. + small, 420. + small]]))
        for _ in range(6):  # object 0 not seen confidently
            s.update(torch.zeros(1, 4), torch.tensor([0.]))
        assert s.lost == [6, 0]
        assert s.window(FRAME, objects=[0])[2:] == (pytest.approx(G), 416,
                                                      320)
        assert [g for g, _ in s.windows(FRAME)] == expected
    with pytest.raises(ValueError, match='merge_zoom_ratio'):
        region(merge_zoom_ratio=0.5)


def _far_apart_search():
    # 48x64 frames: two 6x6 objects in opposite corners, magnified 2.67x
    # into windows of 64x64 input pixels; a window holding both would have
    # to shrink to zoom 1 to fit, so each object keeps its own
    # (every track counts as confident: the windows follow the tracks)
    return dict(input_size=(64, 64), object_px=(16., 64.), max_zoom=4.,
                context=3., conf_thr=0., split_windows=True)


@pytest.mark.parametrize('kind', ['SOTTracker', 'IdentityTracker'])
def test_split_windows_track_each_object_as_alone(model, kind):
    """With split windows, K objects far apart are tracked exactly as K
    trackers of one object each: the same boxes, scores, masks, templates
    and corrections, one backbone pass per window."""
    from mmtao.models.trackers import IdentityTracker
    cls = dict(SOTTracker=SOTTracker, IdentityTracker=IdentityTracker)[kind]
    extra = dict(update=dict(gate=0., interval=1, grid=2),
                 hard_negatives=dict(min_score=0., max_iou=0.3, num=2)) \
        if kind == 'IdentityTracker' else {}

    def make():
        return cls(temporal=dict(type='TemporalSmoother'),
                   search=_far_apart_search(), **extra)

    boxes = torch.tensor([[2., 3., 8., 9.], [55., 38., 61., 44.]])
    seen = []
    extract = model.extract_feat

    def spy(x):
        seen.append(tuple(x.shape[-2:]))
        return extract(x)

    def run(tracker, objs):
        img, meta = frame(model, 0)
        res = [tracker.init(model, img, dict(meta, frame_id=0), boxes[objs])]
        for seed in (1, 2):
            img_t, meta_t = frame(model, seed)
            res.append(tracker.track(model, img_t, dict(meta_t,
                                                        frame_id=seed)))
        # object 1 redrawn beside its track (inside its window)
        fix = {i: [54., 37., 60., 43.] for i, k in enumerate(objs) if k == 1}
        if fix:
            res.append(tracker.correct(model, fix))
        img_t, meta_t = frame(model, 3)
        res.append(tracker.track(model, img_t, dict(meta_t, frame_id=3)))
        return tracker, res

    model.extract_feat = spy
    try:
        both, res_both = run(make(), [0, 1])
    finally:
        del model.extract_feat
    # init and three tracked frames: two windows each, no other pass
    assert len(seen) == 8 and len(both._views) == 2, seen
    for k in (0, 1):
        alone, res_alone = run(make(), [k])
        # both: init, 2 frames, correction, frame; alone: the correction
        # only for object 1
        steps = [0, 1, 2, 3, 4] if k == 1 else [0, 1, 2, 4]
        for i, b in zip(steps, res_alone):
            a = res_both[i]
            torch.testing.assert_close(a.bboxes[k], b.bboxes[0], rtol=0,
                                       atol=1e-5)
            torch.testing.assert_close(a.scores[k], b.scores[0], rtol=0,
                                       atol=1e-6)
            assert torch.equal(a.masks[k], b.masks[0])
        torch.testing.assert_close(both.templates[k], alone.templates[0],
                                   rtol=0, atol=1e-6)
