# Copyright (c) mmtao contributors. All rights reserved.
"""RandomMotionBlur: its kernel by hand, the image as cv2.filter2D with
that kernel, boxes untouched, and the probability gate."""
import cv2
import numpy as np
import pytest

from mmtao.datasets.transforms import RandomMotionBlur
from mmtao.datasets.transforms.motion_blur import motion_blur_kernel
from mmtao.registry import TRANSFORMS


def test_kernel_by_hand():
    # horizontal, 5 px: the centre row, 1/5 each
    k = motion_blur_kernel(5, 0)
    expected = np.zeros((5, 5), np.float32)
    expected[2] = 0.2
    np.testing.assert_allclose(k, expected, atol=1e-7)
    # vertical: the centre column; an even length sits in an odd kernel
    np.testing.assert_allclose(motion_blur_kernel(5, 90), expected.T,
                               atol=1e-6)
    k4 = motion_blur_kernel(4, 0)
    assert k4.shape == (5, 5)
    np.testing.assert_allclose(k4[2], [.25, .25, .25, .25, 0], atol=1e-7)
    # 45 degrees: mass 1 on the rising diagonal (x up-right, y down), none
    # on the falling one's off-centre corners
    k7 = motion_blur_kernel(7, 45)
    assert k7.sum() == pytest.approx(1, abs=1e-6)
    assert k7[1, 5] > 0.1 and k7[5, 1] > 0.1
    assert k7[1, 1] == 0 and k7[5, 5] == 0
    assert motion_blur_kernel(1, 30).tolist() == [[1.0]]
    with pytest.raises(ValueError, match='length'):
        motion_blur_kernel(0, 0)


def test_blurs_the_image_and_keeps_the_boxes(monkeypatch):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (40, 100, 3), dtype=np.uint8)
    boxes = np.array([[10., 5., 30., 25.]], np.float32)
    t = TRANSFORMS.build(dict(type='RandomMotionBlur', prob=1.0,
                              length=(0.09, 0.09)))
    # length 0.09 of the longer side (100): 9 px, at the drawn angle 0
    monkeypatch.setattr(np.random, 'uniform',
                        lambda lo, hi: lo if hi < 1 else 0.0)
    out = t.transform(dict(img=img.copy(), gt_bboxes=boxes.copy()))
    expected = cv2.filter2D(img, -1, motion_blur_kernel(9, 0),
                            borderType=cv2.BORDER_REFLECT_101)
    np.testing.assert_array_equal(out['img'], expected)
    # a horizontal blur averages 9 neighbours along each row
    row = img[20, 46:55].astype(np.float64).mean(0)
    np.testing.assert_allclose(out['img'][20, 50], row, atol=1)
    np.testing.assert_array_equal(out['gt_bboxes'], boxes)


def test_probability_and_bad_options():
    img = np.full((8, 8, 3), 7, np.uint8)
    img[4, 4] = 255
    never = RandomMotionBlur(prob=0.0)
    assert never.transform(dict(img=img.copy()))['img'].tolist() == \
        img.tolist()
    np.random.seed(1)
    always = RandomMotionBlur(prob=1.0, length=(0.5, 0.5))
    blurred = always.transform(dict(img=img.copy()))['img']
    assert blurred[4, 4, 0] < 255  # the bright dot spread along the motion
    with pytest.raises(ValueError, match='prob'):
        RandomMotionBlur(prob=1.5)
    with pytest.raises(ValueError, match='length'):
        RandomMotionBlur(length=(0.1, 0.05))
