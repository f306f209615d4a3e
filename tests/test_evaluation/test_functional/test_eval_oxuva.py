# Copyright (c) mmtao contributors. All rights reserved.
import math

import numpy as np
import pytest

from mmtao.evaluation.functional import (clipped_iou, eval_oxuva,
                                         max_geometric_mean_line,
                                         oxuva_quality, tpr_fpr_curve)

NAN4 = [np.nan] * 4


def test_max_geometric_mean_line():
    # interior optimum: from (TNR, TPR) = (0.2, 0.8) towards (1, 0) the
    # product ((1-t)0.2 + t)(0.8 (1-t)) peaks at t = 0.375 where both = 0.5
    assert max_geometric_mean_line(0.2, 0.8, 1, 0) == pytest.approx(0.5)
    # peak outside [0, 1]: the start point sqrt(2/3 * 1/3) wins
    assert max_geometric_mean_line(2 / 3, 1 / 3, 1, 0) == pytest.approx(
        math.sqrt(2 / 9))
    q = oxuva_quality(tp=4, fn=1, tn=1, fp=4)
    assert q['TPR'] == pytest.approx(0.8) and q['TNR'] == pytest.approx(0.2)
    assert q['GM'] == pytest.approx(0.4)
    assert q['MaxGM'] == pytest.approx(0.5)
    q = oxuva_quality(tp=3, fn=0, tn=0, fp=0)
    assert math.isnan(q['TNR']) and math.isnan(q['MaxGM'])


def test_clipped_iou():
    # pred sticks out of the 10x10 image: clipped to [5, 0, 10, 10]
    iou = clipped_iou(np.array([[5., 0, 15, 10]]), np.array([[0., 0, 10, 10]]),
                      (10, 10))
    assert iou[0] == pytest.approx(0.5)
    # both outside the image: empty union -> 0, not a division error
    iou = clipped_iou(np.array([[20., 20, 30, 30]]),
                      np.array([[20., 20, 30, 30]]), (10, 10))
    assert iou[0] == 0


def make_track():
    gt = np.array([[0, 0, 10, 10]] * 4 + [NAN4] * 3, dtype=float)
    present = np.array([True, True, True, True, False, False, False])
    pred = np.array([
        [0, 0, 10, 10],  # f0 init, skipped
        [0, 0, 10, 10],  # f1 correct, score .9 -> TP
        [0, 0, 10, 4],  # f2 IoU .4, score .8 -> FN (wrong place)
        [0, 0, 10, 10],  # f3 correct but score .3 -> absent -> FN
        [3, 3, 6, 6],  # f4 absent, score .2 -> TN
        [3, 3, 6, 6],  # f5 absent, score .7 -> FP
        [3, 3, 6, 6],  # f6 absent, score .1 -> TN
    ], dtype=float)
    scores = np.array([1.0, .9, .8, .3, .2, .7, .1])
    return pred, scores, gt, present


def test_eval_oxuva_counts_and_auc():
    pred, scores, gt, present = make_track()
    out = eval_oxuva([pred], [scores], [gt], [present], [(100, 100)],
                     score_thr=0.5)
    assert (out['TP'], out['FN'], out['TN'], out['FP']) == (1, 2, 2, 1)
    assert out['TPR'] == pytest.approx(1 / 3)
    assert out['TNR'] == pytest.approx(2 / 3)
    assert out['MaxGM'] == pytest.approx(math.sqrt(2 / 9))
    # ROC points in decreasing score order (.9 .8 .7 .3 .2 .1):
    # (0,0) (0,1/3) (0,1/3) (1/3,1/3) (1/3,2/3) (2/3,2/3) (1,2/3)
    # area = 1/3*1/3 + 1/3*2/3 + 1/3*2/3 = 5/9
    assert out['AUC'] == pytest.approx(5 / 9)


def test_tpr_fpr_curve_ties_are_one_step():
    fpr, tpr = tpr_fpr_curve(
        np.array([.5, .5, .2]), np.array([True, False, False]),
        np.array([True, False, True]))
    np.testing.assert_allclose(fpr, [0, 1, 1])
    np.testing.assert_allclose(tpr, [0, .5, .5])


def test_eval_oxuva_all_absent_and_empty_prediction():
    # all-absent track reported absent everywhere: TNR 1, TPR undefined
    gt = np.full((3, 4), np.nan)
    pred = np.full((3, 4), np.nan)  # no box at all
    out = eval_oxuva([pred], [np.zeros(3)], [gt], [np.zeros(3, bool)],
                     [(10, 10)])
    assert out['TN'] == 2 and out['FP'] == 0
    assert out['TNR'] == 1.0 and math.isnan(out['TPR'])
    assert math.isnan(out['AUC'])
    # present target but no predicted box: FN even with a high score
    gt = np.array([[0, 0, 4, 4]] * 2, dtype=float)
    out = eval_oxuva([np.full((2, 4), np.nan)], [np.ones(2)], [gt],
                     [np.ones(2, bool)], [(10, 10)])
    assert (out['TP'], out['FN']) == (0, 1)


def test_eval_oxuva_bad_inputs():
    with pytest.raises(ValueError, match='one entry per'):
        eval_oxuva([np.zeros((2, 4))], [], [], [], [])
