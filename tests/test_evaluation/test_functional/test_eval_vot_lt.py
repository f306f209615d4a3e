# Copyright (c) mmtao contributors. All rights reserved.
import numpy as np
import pytest

from mmtao.evaluation.functional import determine_thresholds, eval_vot_lt

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


def test_eval_vot_lt():
    # seq A: f1 overlap 1 (conf .9), f2 overlap .5 (conf .4), f3 absent
    # (conf .6); seq B: f1 overlap 1 (conf .8), f2 absent (conf .2)
    pa = np.array([[0, 0, 1, 1], [0, 0, 10, 10], [0, 0, 10, 5],
                   [5, 5, 8, 8]], dtype=float)
    ga = np.array([[0, 0, 1, 1], [0, 0, 10, 10], [0, 0, 10, 10], NAN4])
    sa = np.array([1, .9, .4, .6])
    va = np.array([True, True, True, False])
    pb = np.array([[0, 0, 1, 1], [0, 0, 10, 10], [5, 5, 8, 8]], dtype=float)
    gb = np.array([[0, 0, 1, 1], [0, 0, 10, 10], NAN4])
    sb = np.array([1, .8, .2])
    vb = np.array([True, True, False])
    out = eval_vot_lt([pa, pb], [sa, sb], [ga, gb], [va, vb],
                      [(100, 100)] * 2)
    np.testing.assert_allclose(out['thresholds'],
                               [np.inf, .9, .8, .6, .4, .2, -np.inf])
    # per threshold, A: Pr 1 1 1 .5 .5 .5 .5, Re 0 .5 .5 .5 .75 .75 .75
    #                B: Pr 1 1 1 1 1 .5 .5,   Re 0 0 1 1 1 1 1
    np.testing.assert_allclose(out['pr_curve'],
                               [1, 1, 1, .75, .75, .5, .5])
    np.testing.assert_allclose(out['re_curve'],
                               [0, .25, .75, .75, .875, .875, .875])
    assert out['f_score'] == pytest.approx(2 * .75 / 1.75)
    assert out['precision'] == pytest.approx(1.0)
    assert out['recall'] == pytest.approx(0.75)
    assert out['threshold'] == pytest.approx(0.8)


def test_eval_vot_lt_all_absent_sequence():
    # nothing visible: recall stays 0, precision 0 wherever it reports
    g = np.full((3, 4), np.nan)
    p = np.array([[0, 0, 2, 2]] * 3, dtype=float)
    out = eval_vot_lt([p], [np.array([1, .5, .5])], [g], [np.zeros(3, bool)],
                      [(10, 10)])
    assert out['f_score'] == 0.0 and out['recall'] == 0.0
