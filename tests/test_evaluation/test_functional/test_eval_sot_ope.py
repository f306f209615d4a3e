# Copyright (c) mmtao contributors. All rights reserved.
"""OPE metrics against values worked out by hand from the definitions."""
import numpy as np
import pytest

from mmtao.evaluation.functional import eval_sot_ope

NAN4 = [np.nan] * 4


def video_a():
    gt = np.array([[0, 0, 10, 10]] * 4, dtype=float)
    pred = np.array([
        [0, 0, 10, 10],  # IoU 1, centre error 0
        [0, 0, 10, 5],  # IoU 0.5, error 2.5 px, normalised 0.25
        [5, 0, 15, 10],  # IoU 50/150 = 1/3, error 5, normalised 0.5
        [20, 20, 30, 30],  # IoU 0, error sqrt(800)
    ], dtype=float)
    return pred, gt


def test_ope_single_video():
    pred, gt = video_a()
    out = eval_sot_ope([pred], [gt])
    # IoU > t for the 21 thresholds: t in {0..0.3} (7 thrs) -> 3 frames,
    # {0.35, 0.4, 0.45} -> 2, {0.5..0.95} (10 thrs; 0.5 > 0.5 is False)
    # -> 1, t = 1 -> 0; each divided by 4 frames.
    expected_success = (7 * 3 + 3 * 2 + 10 * 1) / 4 / 21 * 100
    assert out['success'] == pytest.approx(expected_success)
    assert out['success'] == pytest.approx(44.047619, abs=1e-5)
    assert out['precision'] == pytest.approx(75.0)  # 3 of 4 within 20 px
    assert out['norm_precision'] == pytest.approx(25.0)  # only error 0
    assert out['success_curve'].shape == (1, 21)
    assert out['precision_curve'].shape == (1, 51)
    # precision at 2 px: errors {0} -> 1/4; at 3 px: {0, 2.5} -> 2/4
    assert out['precision_curve'][0, 2] == pytest.approx(25.0)
    assert out['precision_curve'][0, 3] == pytest.approx(50.0)


def video_b():
    gt = np.array([[0, 0, 10, 10], NAN4, [5, 5, 5, 5]], dtype=float)
    pred = np.array([[0, 0, 10, 10]] * 3, dtype=float)
    visible = np.array([True, False, True])
    return pred, gt, visible


def test_ope_absent_and_zero_size_all_frames():
    """only_eval_visible=False: NaN and zero-area gt never succeed; their
    centre error is -1 (NaN gt) or 0 here, so MMTracking counts them as
    precise."""
    pred, gt, _ = video_b()
    out = eval_sot_ope([pred], [gt])
    assert out['success'] == pytest.approx(20 / 63 * 100)  # 1/3 at 20 thrs
    assert out['precision'] == pytest.approx(100.0)
    assert out['norm_precision'] == pytest.approx(100.0)


def test_ope_only_visible_keeps_full_length_denominator():
    pred, gt, vis = video_b()
    out = eval_sot_ope([pred], [gt], [vis])
    assert out['success'] == pytest.approx(20 / 63 * 100)
    # the invisible frame is dropped from the numerator, not the length
    assert out['precision'] == pytest.approx(2 / 3 * 100)
    assert out['norm_precision'] == pytest.approx(2 / 3 * 100)


def test_ope_mean_over_videos_and_all_absent_video():
    pa, ga = video_a()
    pb, gb, vb = video_b()
    pc = np.array([[1, 1, 5, 5]] * 2, dtype=float)
    gc = np.array([NAN4, NAN4], dtype=float)
    vc = np.array([False, False])
    out = eval_sot_ope([pa, pb, pc], [ga, gb, gc],
                       [np.ones(4, bool), vb, vc])
    assert out['success'] == pytest.approx(
        (37 / 84 + 20 / 63 + 0) / 3 * 100)
    assert out['precision'] == pytest.approx((0.75 + 2 / 3 + 0) / 3 * 100)
    assert out['norm_precision'] == pytest.approx(
        (0.25 + 2 / 3 + 0) / 3 * 100)


def test_ope_bad_inputs():
    pred, gt = video_a()
    with pytest.raises(ValueError, match='does not match'):
        eval_sot_ope([pred[:3]], [gt])
    bad = pred.copy()
    bad[1] = np.nan
    with pytest.raises(ValueError, match='NaN'):
        eval_sot_ope([bad], [gt])
    with pytest.raises(ValueError, match='at least one video'):
        eval_sot_ope([], [])
