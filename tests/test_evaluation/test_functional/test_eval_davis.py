# Copyright (c) mmtao contributors. All rights reserved.
import numpy as np
import pytest

from mmtao.evaluation.functional import (db_eval_iou, db_statistics,
                                         eval_davis, f_measure, seg2bmap)


def square(size, r0, c0, n, h=None):
    m = np.zeros((size, size) if h is None else (h, size), bool)
    m[r0:r0 + n, c0:c0 + n] = True
    return m


def test_seg2bmap_hand_computed():
    seg = square(4, 1, 1, 2)
    expected = np.array([[1, 1, 1, 0], [1, 0, 1, 0], [1, 1, 1, 0],
                         [0, 0, 0, 0]], bool)
    np.testing.assert_array_equal(seg2bmap(seg), expected)


def test_db_eval_iou():
    gt = square(4, 1, 1, 2)
    pred = np.zeros((4, 4), bool)
    pred[1:3, 1:4] = True
    assert db_eval_iou(gt, pred) == pytest.approx(4 / 6)
    assert db_eval_iou(np.zeros((4, 4)), np.zeros((4, 4))) == 1.0
    assert db_eval_iou(gt, np.zeros((4, 4))) == 0.0
    void = np.zeros((4, 4), bool)
    void[:, 3] = True  # the extra column is void -> perfect
    assert db_eval_iou(gt, pred, void) == pytest.approx(1.0)


def test_f_measure():
    # 20x20: tolerance ceil(0.008 * 28.28) = 1 px (a 3x3 cross)
    gt = square(20, 5, 5, 4)
    assert f_measure(gt, gt) == 1.0
    assert f_measure(np.zeros_like(gt), np.zeros_like(gt)) == 1.0
    assert f_measure(np.zeros_like(gt), gt) == 0.0  # P=1, R=0
    assert f_measure(gt, np.zeros_like(gt)) == 0.0  # P=0, R=1
    # shifted by 1 px: every boundary pixel within the tolerance
    assert f_measure(square(20, 5, 6, 4), gt) == 1.0
    # shifted by 3 px: the 16-pixel rings share/touch 9 pixels each way
    assert f_measure(square(20, 5, 8, 4), gt) == pytest.approx(9 / 16)


def test_db_statistics():
    m, o, d = db_statistics(np.array([1, .8, .6, .4, .2, 0, 0, 0]))
    assert m == pytest.approx(3 / 8)
    assert o == pytest.approx(3 / 8)
    # bins cut at round(linspace(1, 8, 5) + 1e-10) - 1 = 0 2 4 5 7:
    # first [1 .8 .6], last [0 0 0]
    assert d == pytest.approx(0.8)


def test_eval_davis_drops_first_and_last_frame():
    gt = np.stack([square(20, 5, 5, 4)] * 5)
    pred = gt.copy()
    pred[0] = False  # wrong first and last frames do not count
    pred[4] = False
    pred[2] = square(20, 5, 5, 4, None)
    pred[2][5:9, 5:7] = False  # half of frame 2: J = 0.5
    out = eval_davis([gt], [pred])
    assert out['J-Mean'] == pytest.approx((1 + .5 + 1) / 3)
    assert out['J-Recall'] == pytest.approx(2 / 3)
    assert out['F-Mean'] == pytest.approx(
        (2 + f_measure(pred[2], gt[2])) / 3)
    assert out['J&F-Mean'] == pytest.approx(
        (out['J-Mean'] + out['F-Mean']) / 2)
    with pytest.raises(ValueError, match='>= 3'):
        eval_davis([gt[:2]], [pred[:2]])
