# Copyright (c) mmtao contributors. All rights reserved.
"""SearchCrop: a training frame cropped as the search region crops a test
frame.

References: the window and the affine map worked out by hand for fixed
draws, numpy slicing + ``cv2.resize`` for the image, and the pixels of a
white object on a black frame for random draws (the box and mask must stay
on the object wherever the window falls).
"""
import cv2
import numpy as np
import pytest
import torch
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks
from mmengine.registry import init_default_scope

from mmtao.datasets.transforms import PairTransforms, SearchCrop
from mmtao.models.trackers.search_region import SearchRegion

H, W = 60, 80


def _frame(boxes, h=H, w=W, seed=0):
    """A frame with white rectangles at ``boxes`` (xyxy, whole pixels) on
    a dark textured background, and its annotations."""
    rng = np.random.RandomState(seed)
    img = rng.randint(0, 60, (h, w, 3)).astype(np.uint8)
    masks = np.zeros((len(boxes), h, w), np.uint8)
    for k, (x1, y1, x2, y2) in enumerate(boxes):
        img[y1:y2, x1:x2] = 255
        masks[k, y1:y2, x1:x2] = 1
    return dict(
        img=img,
        img_shape=(h, w),
        ori_shape=(h, w),
        gt_bboxes=HorizontalBoxes(torch.tensor(boxes, dtype=torch.float32)),
        gt_bboxes_labels=np.zeros(len(boxes), np.int64),
        gt_ignore_flags=np.zeros(len(boxes), bool),
        gt_masks=BitmapMasks(masks, h, w))


def _fixed(t, draw):
    """Make ``t`` crop with the given (object px, context, sx, sy)."""
    t._draw = lambda: draw
    return t


def test_window_and_crop_by_hand():
    # box 10x10 at (30, 20) in an 80x60 frame, 12 px object, context 3:
    # zoom 1.2, window 40x30 -> input 48x40 (multiples of 8), i.e. 40 x
    # 33.3 frame pixels centred on the box: origin (15, 8.33)
    t = _fixed(
        SearchCrop(input_size=(64, 48), size_divisor=8), (12., 3., 0., 0.))
    assert t.window([30, 20, 40, 30], (H, W), 12., 3., (0., 0.)) == \
        pytest.approx((15., 25 - 40 / 1.2 / 2, 1.2, 48, 40))
    res = t(_frame([[30, 20, 40, 30]]))
    # outward to whole pixels: columns 15-55, rows 8-42 (8.33 + 33.33
    # = 41.67) -> 48 x 40
    ref = cv2.resize(
        _frame([[30, 20, 40, 30]])['img'][8:42, 15:55], (48, 40),
        interpolation=cv2.INTER_LINEAR)
    np.testing.assert_array_equal(res['img'], ref)
    assert res['img_shape'] == (40, 48)
    sx, sy = 48 / 40, 40 / 34
    np.testing.assert_allclose(
        res['gt_bboxes'].tensor.numpy(),
        [[15 * sx, 12 * sy, 25 * sx, 22 * sy]], rtol=1e-5)
    assert res['search_crop'] == pytest.approx((15., 8., sx, sy))
    ref_mask = cv2.resize(
        _frame([[30, 20, 40, 30]])['gt_masks'].masks[0, 8:42, 15:55],
        (48, 40),
        interpolation=cv2.INTER_NEAREST)
    np.testing.assert_array_equal(res['gt_masks'].masks[0], ref_mask)


def test_window_matches_search_region_without_jitter():
    # with a drawn size equal to the tracker's zoom and no shift, the
    # window is the test-time window of SearchRegion (one object)
    region = SearchRegion(input_size=(416, 320), context=4.)
    t = SearchCrop()
    for box, shape in (([100, 80, 140, 130], (480, 640)),
                       ([5, 5, 25, 15], (240, 320)),
                       ([50, 40, 350, 260], (312, 416))):
        region.centres, region.sizes, region.lost = [], [], []
        region.add(torch.tensor([box], dtype=torch.float32))
        size = region.sizes[0]
        px = region.zoom(size, shape) * size
        ours = t.window(box, shape, px, 4., (0., 0.))
        assert ours == pytest.approx(region.window(shape))


def test_magnification_capped_by_max_zoom():
    # a 4 px object asked at 64 px: at most 2 x the whole-frame scale 0.8
    t = SearchCrop(input_size=(64, 48), size_divisor=8, max_zoom=2.)
    _, _, z, _, _ = t.window([38, 28, 42, 32], (H, W), 64., 4., (0., 0.))
    assert z == pytest.approx(1.6)


def test_window_larger_than_frame_starts_at_frame():
    # a large object in a small frame: the window holds the whole frame at
    # its top-left; the output is only the frame's part (img_shape real)
    t = _fixed(
        SearchCrop(input_size=(64, 48), size_divisor=8), (40., 5., 0., 0.))
    res = t(_frame([[10, 10, 70, 50]]))
    x0, y0, sx, sy = res['search_crop']
    assert (x0, y0) == (0., 0.)
    h, w = res['img'].shape[:2]
    assert res['img_shape'] == (h, w)
    assert w == pytest.approx(W * sx, abs=1) and h == pytest.approx(
        H * sy, abs=1)
    np.testing.assert_allclose(
        res['gt_bboxes'].tensor.numpy(),
        [[10 * sx, 10 * sy, 70 * sx, 50 * sy]], rtol=1e-5)


@pytest.mark.parametrize('box', [[30, 20, 40, 30], [0, 0, 12, 8],
                                 [66, 50, 80, 60], [20, 5, 60, 55]])
def test_random_windows_keep_target_on_its_pixels(box):
    t = SearchCrop(
        input_size=(64, 48),
        size_divisor=8,
        object_px=(8., 40.),
        jitter=1.0)
    np.random.seed(1)
    for _ in range(40):
        res = t(_frame([box]))
        img, bb = res['img'], res['gt_bboxes'].tensor[0].numpy()
        h, w = res['img_shape']
        assert img.shape[:2] == (h, w) and h <= 48 and w <= 64
        _, _, sx, sy = res['search_crop']
        # the window was moved to hold the target: nothing of it is cut
        bw, bh = (box[2] - box[0]) * sx, (box[3] - box[1]) * sy
        assert bb[2] - bb[0] == pytest.approx(bw, rel=1e-4)
        assert bb[3] - bb[1] == pytest.approx(bh, rel=1e-4)
        # the box sits on the white pixels (within a resampled pixel)
        ys, xs = np.nonzero(img.min(-1) > 200)
        ref = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
        np.testing.assert_allclose(bb, ref, atol=max(sx, sy) + 1)
        # the mask follows: on inside the box, off outside it (nearest
        # resampling: within a pixel of its edges)
        masks = res['gt_masks'].masks
        assert masks.shape == (1, h, w)
        yy, xx = np.mgrid[:h, :w] + 0.5
        inner = (xx > bb[0] + 1) & (xx < bb[2] - 1) & (yy > bb[1] + 1) \
            & (yy < bb[3] - 1)
        outer = (xx > bb[0] - 1) & (xx < bb[2] + 1) & (yy > bb[1] - 1) \
            & (yy < bb[3] + 1)
        assert masks[0][inner].all() and not masks[0][~outer].any()


def test_other_boxes_dropped_target_kept():
    # the target in a corner, another object far away: with a small window
    # the other one leaves the canvas and is dropped with its label, flag
    # and mask; the target stays first
    t = _fixed(
        SearchCrop(input_size=(64, 48), size_divisor=8), (16., 3., 0., 0.))
    frame = _frame([[2, 2, 10, 10], [60, 40, 75, 55], [14, 2, 30, 10]])
    frame['gt_bboxes_labels'] = np.array([0, 1, 2])
    frame['gt_ignore_flags'] = np.array([False, True, False])
    res = t(frame)
    assert res['gt_bboxes_labels'].tolist() == [0, 2]
    assert res['gt_ignore_flags'].tolist() == [False, False]
    assert len(res['gt_bboxes']) == 2 and len(res['gt_masks']) == 2
    _, _, sx, sy = res['search_crop']
    np.testing.assert_allclose(res['gt_bboxes'].tensor[0].numpy(),
                               [2 * sx, 2 * sy, 10 * sx, 10 * sy],
                               rtol=1e-5)
    # the third box is cut at the canvas's right end
    assert res['gt_bboxes'].tensor[1, 2] == pytest.approx(
        res['img_shape'][1])


def test_prob_zero_and_no_target_are_identity():
    frame = _frame([[30, 20, 40, 30]])
    img = frame['img'].copy()
    res = SearchCrop(prob=0.)(frame)
    np.testing.assert_array_equal(res['img'], img)
    assert 'search_crop' not in res
    assert res['gt_bboxes'].tensor.tolist() == [[30, 20, 40, 30]]
    empty = _frame([])
    res = SearchCrop()(empty)
    assert res['img'].shape == (H, W, 3) and len(res['gt_bboxes']) == 0


def test_pair_frames_draw_their_own_windows():
    # inside PairTransforms each frame draws its own window
    init_default_scope('mmtao')
    frames = [_frame([[30, 20, 40, 30]]), _frame([[30, 20, 40, 30]])]
    pt = PairTransforms([
        dict(
            type='SearchCrop',
            input_size=(64, 48),
            size_divisor=8,
            object_px=(8., 40.))
    ])
    np.random.seed(0)
    crops = [pt(dict(frames=[dict(f) for f in frames]))['frames']
             for _ in range(5)]
    assert any(c[0]['search_crop'] != c[1]['search_crop'] for c in crops)


@pytest.mark.parametrize('kwargs, name', [
    (dict(prob=1.5), 'prob'),
    (dict(object_px=(64, 32)), 'object_px'),
    (dict(object_px=(0, 32)), 'object_px'),
    (dict(context_range=(5, 3)), 'context_range'),
    (dict(jitter=-1), 'jitter'),
    (dict(max_zoom=0.5), 'max_zoom'),
    (dict(input_size=(16, 320)), 'input_size'),
    (dict(size_divisor=0), 'size_divisor'),
])
def test_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        SearchCrop(**kwargs)
