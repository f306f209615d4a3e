# Copyright (c) mmtao contributors. All rights reserved.
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmdet.structures.bbox import scale_boxes

from conftest import REPO_ROOT
from mmtao.apis import SOTInferencer, init_tracker

TINY_TAO = osp.join(REPO_ROOT, 'tests/data/configs/tiny_tao_got10k.py')


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    return init_tracker(TINY_TAO)


def _frame(seed=0, h=120, w=160):
    return np.random.default_rng(seed).integers(0, 255, (h, w, 3),
                                                dtype=np.uint8)


def test_init_returns_given_boxes(model):
    inferencer = SOTInferencer(model)
    boxes = [[10, 20, 50, 70], [80, 30, 120, 90]]
    res = inferencer.init(_frame(), boxes)
    pred = res.pred_track_instances
    torch.testing.assert_close(pred.bboxes, torch.tensor(boxes).float())
    assert pred.scores.tolist() == [1.0, 1.0]
    assert pred.instances_id.tolist() == [0, 1]


def test_track_rescales_like_the_model(model):
    """Top-1 in image coordinates == the model's top-1 in input
    coordinates divided by the resize factor (mmdet's scale_boxes)."""
    inferencer = SOTInferencer(model, temporal=False)
    f0, f1 = _frame(0), _frame(1)
    boxes = torch.tensor([[10., 20., 50., 70.], [80., 30., 120., 90.]])
    inferencer.init(f0, boxes)
    res = inferencer.track(f1)
    pred = res.pred_track_instances
    # reference: the model on the same inputs, boxes in input coordinates
    inputs, meta = inferencer._prepare(f1)
    cands = model.predict_candidates(
        model.extract_feat(inputs),
        inferencer.tracker.templates,
        meta,
        rescale=False)
    sx, sy = meta['scale_factor']
    for k, c in enumerate(cands):
        top = c.bboxes[c.scores.argmax()][None]
        expected = scale_boxes(top.clone(), (1 / sx, 1 / sy))
        expected[:, 0::2] = expected[:, 0::2].clamp(0, f1.shape[1])
        expected[:, 1::2] = expected[:, 1::2].clamp(0, f1.shape[0])
        torch.testing.assert_close(pred.bboxes[k:k + 1], expected,
                                   atol=1e-3, rtol=1e-4)
        assert float(pred.scores[k]) == pytest.approx(float(c.scores.max()))
    assert pred.masks.shape == (2, ) + f1.shape[:2]


@pytest.mark.parametrize('box,msg', [
    ([10, 20, 10, 70], 'non-positive size'),
    ([200, 200, 250, 270], 'outside the image'),
    ([float('nan'), 1, 5, 5], 'NaN'),
])
def test_bad_init_box(model, box, msg):
    with pytest.raises(ValueError, match=f'init bbox.*{msg}'):
        SOTInferencer(model).init(_frame(), [box])


@pytest.mark.parametrize('boxes,msg', [
    ([], 'K >= 1 boxes'),
    (np.zeros((0, 4)), 'K >= 1 boxes'),
    ([10, 20, 30], 'shape \\(1, 3\\)|shape \\(3,\\)'),
    ([[10, 20, 30, 40], [1, 2, 3]], '4 numbers'),
    ([['a', 2, 3, 4]], '4 numbers'),
])
def test_bad_box_lists_are_refused_in_one_line(model, boxes, msg):
    with pytest.raises(ValueError, match=msg) as info:
        SOTInferencer(model).init(_frame(), boxes)
    assert '\n' not in str(info.value)


@pytest.mark.parametrize('frame,msg', [
    (np.zeros((0, 0, 3), np.uint8), 'empty frame'),
    (np.zeros((120, 0, 3), np.uint8), 'empty frame'),
    (np.random.default_rng(0).random((120, 160, 3)), 'float64'),
    (np.random.default_rng(0).random(
        (120, 160, 3)).astype(np.float32), 'float32'),
    (np.zeros((120, 160, 3), np.uint16), 'uint16'),
    (np.zeros((120, 160), np.uint8), r'shape \(120, 160\)'),
    ([[1, 2, 3]], 'list'),
])
def test_bad_frames_are_refused_at_init_and_track(model, frame, msg):
    inferencer = SOTInferencer(model)
    with pytest.raises(ValueError, match='BGR uint8.*' + msg):
        inferencer.init(frame, [[10, 20, 50, 70]])
    inferencer.init(_frame(), [[10, 20, 50, 70]])
    with pytest.raises(ValueError, match='BGR uint8.*' + msg):
        inferencer.track(frame)


@pytest.mark.parametrize('temporal', [True, False])
def test_frame_size_change_is_one_clear_error(model, temporal):
    inferencer = SOTInferencer(model, temporal=temporal)
    assert (inferencer.tracker.temporal_cfg is None) != temporal
    inferencer.init(_frame(), [[10, 20, 50, 70]])
    inferencer.track(_frame(1))
    with pytest.raises(ValueError,
                       match=r'frame 2 is 200x100 \(WxH\).*160x120'):
        inferencer.track(_frame(2, h=100, w=200))


def test_presence_is_the_chosen_candidates_detector_score(model):
    """With the smoother, selection uses 0.6 c + 0.4 IoU, but the reported
    score is the chosen candidate's own c."""
    inferencer = SOTInferencer(model, temporal=True)
    boxes = [[10, 20, 50, 70], [80, 30, 120, 90]]
    inferencer.init(_frame(0), boxes)
    for seed in (1, 2):
        f = _frame(seed)
        inputs, meta = inferencer._prepare(f)
        cands = model.predict_candidates(
            model.extract_feat(inputs),
            inferencer.tracker.templates,
            meta,
            rescale=True)
        pred = inferencer.track(f).pred_track_instances
        for k, c in enumerate(cands):
            dist = (c.bboxes - pred.bboxes[k]).abs().sum(1)
            idx = int(dist.argmin())
            assert float(dist[idx]) < 1e-4
            assert float(pred.scores[k]) == float(c.scores[idx])


def test_add_objects_reuses_the_last_frame(model):
    """Objects added on a tracked frame track exactly as if they had been
    initialised on it, and no backbone pass is made for them."""
    boxes = [[10, 20, 50, 70], [80, 30, 120, 90]]
    ref = SOTInferencer(model, temporal=False)
    ref.init(_frame(1), boxes)
    ref_next = ref.track(_frame(2)).pred_track_instances

    inferencer = SOTInferencer(model, temporal=False)
    inferencer.init(_frame(0), boxes[:1])
    inferencer.track(_frame(1))
    calls = []
    handle = model.backbone.register_forward_hook(
        lambda *args: calls.append(1))
    try:
        added = inferencer.add_objects([boxes[1]]).pred_track_instances
    finally:
        handle.remove()
    assert calls == []
    assert added.instances_id.tolist() == [0, 1]
    torch.testing.assert_close(added.bboxes[1], torch.tensor(boxes[1]).float())
    assert float(added.scores[1]) == 1.0
    torch.testing.assert_close(inferencer.tracker.templates[1],
                               ref.tracker.templates[1])
    nxt = inferencer.track(_frame(2)).pred_track_instances
    torch.testing.assert_close(nxt.bboxes[1], ref_next.bboxes[1])
    torch.testing.assert_close(nxt.scores[1], ref_next.scores[1])
    with pytest.raises(ValueError, match='added bbox'):
        inferencer.add_objects([[10, 20, 10, 70]])
    with pytest.raises(RuntimeError, match='init'):
        SOTInferencer(model).add_objects(boxes)


@pytest.mark.parametrize('box', [
    [140, 100, 1000, 1000],  # only a 20x20 corner inside the 160x120 frame
    [0, 0, 1e30, 1e30],
    [-50, 10, -10, 50],
])
def test_box_centred_off_the_frame_is_refused(model, box):
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    assert not (0 <= cx < 160 and 0 <= cy < 120)  # the premise
    with pytest.raises(ValueError, match=r'centre .* outside the image'):
        SOTInferencer(model).init(_frame(), [box])
    inferencer = SOTInferencer(model)
    inferencer.init(_frame(), [[10, 20, 50, 70]])
    with pytest.raises(ValueError, match=r'added bboxes.*centre'):
        inferencer.add_objects([box])
    assert inferencer.num_objects == 1
    # partly outside with the centre inside is still a valid box
    inferencer.add_objects([[-20, -20, 60, 60]])
    assert inferencer.num_objects == 2


def test_refused_frame_does_not_advance_frame_id(model):
    inferencer = SOTInferencer(model)
    assert inferencer.init(_frame(), [[10, 20, 50, 70]]).frame_id == 0
    assert inferencer.track(_frame(1)).frame_id == 1
    with pytest.raises(ValueError, match='frame 2 is 200x100'):
        inferencer.track(_frame(2, h=100, w=200))
    with pytest.raises(ValueError, match='BGR uint8'):
        inferencer.track(np.zeros((120, 160), np.uint8))
    assert inferencer.track(_frame(3)).frame_id == 2


def test_track_before_init(model):
    with pytest.raises(RuntimeError, match='init'):
        SOTInferencer(model).track(_frame())


def test_demo_writes_video_and_png(tmp_path):
    from mmtao.utils.video_io import FrameReader, Mp4Writer
    video = str(tmp_path / 'clip.mp4')
    with Mp4Writer(video, fps=10) as writer:
        for i in range(6):
            f = np.full((96, 128, 3), 40, np.uint8)
            f[30:60, 20 + 4 * i:50 + 4 * i] = (0, 200, 255)
            writer.write(f)
    out_dir = str(tmp_path / 'out')
    proc = subprocess.run([
        sys.executable, 'tools/demo/demo_track.py', '--video', video,
        '--bbox', '20,30,30,30', '--config', TINY_TAO, '--checkpoint',
        'none', '--out-dir', out_dir
    ],
                          cwd=REPO_ROOT,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(FrameReader(osp.join(out_dir, 'clip_tracked.mp4'))) == 6
    assert osp.getsize(osp.join(out_dir, 'clip_tracked.png')) > 0
    lines = open(osp.join(out_dir, 'clip_track.txt')).read().split()
    assert lines[0] == 'frame,object,x,y,w,h,score'
    assert lines[1] == '0,0,20.00,30.00,30.00,30.00,1.0000'
    assert len(lines) == 7
    # bad input: a box with a zero width is refused with a clear message
    bad = subprocess.run([
        sys.executable, 'tools/demo/demo_track.py', '--video', video,
        '--bbox', '20,30,0,30', '--config', TINY_TAO, '--checkpoint', 'none',
        '--out-dir', out_dir
    ],
                         cwd=REPO_ROOT,
                         capture_output=True,
                         text=True,
                         timeout=300)
    assert bad.returncode != 0
    assert 'non-positive size' in bad.stderr


def test_correct_and_state_through_the_api(model):
    """The web demo's use: set_state(snapshot after t-1), track(t),
    correct({...}), track(t+1) — in image coordinates."""
    inferencer = SOTInferencer(model)
    with pytest.raises(ValueError, match='before init'):
        inferencer.correct({0: [1, 2, 30, 40]})
    inferencer.init(_frame(0), [[10, 20, 50, 70], [80, 30, 120, 90]])
    inferencer.track(_frame(1))
    snap = inferencer.get_state()
    first = inferencer.track(_frame(2))
    res = inferencer.correct({1: [60, 10, 100, 60]})
    pred = res.pred_track_instances
    torch.testing.assert_close(pred.bboxes[1],
                               torch.tensor([60., 10., 100., 60.]))
    assert float(pred.scores[1]) == 1.
    assert res.frame_id == 2 and pred.masks.shape == (2, 120, 160)
    after = inferencer.track(_frame(3)).pred_track_instances
    assert after.bboxes.shape == (2, 4)
    inferencer.set_state(snap)
    replay = inferencer.track(_frame(2))
    assert replay.frame_id == 2
    torch.testing.assert_close(replay.pred_track_instances.bboxes,
                               first.pred_track_instances.bboxes)
    with pytest.raises(ValueError, match='unknown object index 2'):
        inferencer.correct({2: [1, 2, 30, 40]})
    with pytest.raises(ValueError, match='outside the image'):
        inferencer.correct({0: [200, 200, 250, 270]})
    with pytest.raises(ValueError, match='get_state'):
        inferencer.set_state(None)
