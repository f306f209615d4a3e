# Copyright (c) mmtao contributors. All rights reserved.
import numpy as np
import pytest

from mmtao.evaluation.functional import (determine_thresholds, eval_vot_lt,
                                         vot_overlaps)

NAN4 = [np.nan] * 4


def test_determine_thresholds():
    scores = np.arange(10) / 10.
    # 10 > resolution - 2 = 3: delta = 3, indices round(linspace(3, 7, 3))
    # = 3, 5, 7 of the decreasing list .9 .8 ... 0
    np.testing.assert_allclose(
        determine_thresholds(scores, resolution=5),
        [np.inf, .6, .4, .2, -np.inf])
    np.testing.assert_allclose(
        determine_thresholds(np.array([.3, np.nan, .7]), resolution=100),
        [np.inf, .7, .3, -np.inf])


def test_vot_overlaps_pixel_grid():
    # the case: rounded to (10,10,5,5) and (12,12,5,5), pixels
    # 10..14 and 12..16: 3x3 shared of 25 + 25 - 9 -> 9/41 (continuous
    # IoU would be 0.4202)
    ov = vot_overlaps([[10.4, 10.4, 5.2, 5.2]], [[11.6, 11.6, 5.2, 5.2]],
                      (100, 100))
    assert ov[0] == pytest.approx(9 / 41)
    assert round(ov[0], 4) == 0.2195
    # half to even: 10.5 -> 10, 11.5 -> 12; pixels 10..13 vs 12..15: 2/6
    assert vot_overlaps([[10.5, 0, 4, 1.5]], [[11.5, 0, 4, 2]],
                        (100, 100))[0] == pytest.approx(2 / 6)
    # clipped to the 12x12 image: pixels 8..11 of 8..15 and 10..11
    assert vot_overlaps([[8, 0, 8, 4]], [[10, 0, 4, 4]],
                        (12, 12))[0] == pytest.approx(2 / 4)


def test_vot_overlaps_empty_regions():
    ov = vot_overlaps(
        [NAN4, NAN4, [0, 0, 0, 0], [3, 3, 4, 4], [5, 5, 1, 9], [20, 0, 5, 5]],
        [NAN4, [3, 3, 4, 4], NAN4, NAN4, [5, 20, 1, 2], [20, 0, 5, 5]],
        (12, 12))
    # two empty regions (also an empty written rectangle) are identical;
    # an empty region never overlaps a box; a one-pixel-wide extent counts
    # as identical (toolkit quirk); a box outside the image scores 0
    np.testing.assert_allclose(ov, [1, 0, 1, 0, 1, 0])


def test_eval_vot_lt_keeps_init_frame():
    # the case: 3 frames, perfect boxes, confidence 0.9: the init
    # frame is visible with overlap 0 and confidence 0 -> Pr 1, Re 2/3
    gt = np.array([[10, 10, 20, 20]] * 3, dtype=float)
    out = eval_vot_lt([gt], [np.full(3, .9)], [gt], [(100, 100)])
    assert out['precision'] == pytest.approx(1)
    assert out['recall'] == pytest.approx(2 / 3)
    assert out['f_score'] == pytest.approx(0.8)


def test_eval_vot_lt():
    # seq A (x,y,w,h): f0 init, f1 overlap 1 (conf .9), f2 overlap .5 (conf
    # .4), f3 absent (conf .6); seq B: f0 init, f1 overlap 1 (conf .8), f2
    # absent (conf .2). Visible: 3 and 2 frames (init frames included).
    box = [0, 0, 10, 10]
    pa = np.array([box, box, [0, 0, 10, 5], [5, 5, 3, 3]], dtype=float)
    ga = np.array([box, box, box, NAN4])
    sa = np.array([1, .9, .4, .6])
    pb = np.array([box, box, [5, 5, 3, 3]], dtype=float)
    gb = np.array([box, box, NAN4])
    sb = np.array([1, .8, .2])
    out = eval_vot_lt([pa, pb], [sa, sb], [ga, gb], [(100, 100)] * 2)
    np.testing.assert_allclose(out['thresholds'],
                               [np.inf, .9, .8, .6, .4, .2, 0, 0, -np.inf])
    # A: Pr 1 1 1 .5 .5 .5 .375..., Re 0 1/3 1/3 1/3 .5 .5 .5...
    # B: Pr 1 1 1 1 1 .5 1/3...,     Re 0 0 .5 .5 .5 .5 .5...
    np.testing.assert_allclose(
        out['pr_curve'],
        [1, 1, 1, .75, .75, .5] + [(.375 + 1 / 3) / 2] * 3)
    np.testing.assert_allclose(
        out['re_curve'], [0, 1 / 6, 5 / 12, 5 / 12, .5, .5, .5, .5, .5])
    assert out['f_score'] == pytest.approx(0.6)
    assert out['precision'] == pytest.approx(0.75)
    assert out['recall'] == pytest.approx(0.5)
    assert out['threshold'] == pytest.approx(0.4)


def test_eval_vot_lt_all_absent_after_init():
    # only the init frame is visible: recall stays 0
    g = np.array([[0, 0, 5, 5], NAN4, NAN4])
    p = np.array([[0, 0, 2, 2]] * 3, dtype=float)
    out = eval_vot_lt([p], [np.array([1, .5, .5])], [g], [(10, 10)])
    assert out['f_score'] == 0.0 and out['recall'] == 0.0
