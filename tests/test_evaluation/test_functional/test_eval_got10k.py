# Copyright (c) mmtao contributors. All rights reserved.
import math

import numpy as np
import pytest

from mmtao.evaluation.functional import eval_got10k, got10k_rect_iou

NAN4 = [np.nan] * 4


def test_rect_iou_bound_quirk():
    # x < 0 is moved to 0 while w is only capped at W - x: the box
    # [-5, 17 wide] becomes [0, 17 wide] (not [0, 12 wide]).
    iou = got10k_rect_iou(
        np.array([[-5., 10, 17, 10]]), np.array([[10., 10, 10, 10]]),
        bound=(20, 20))
    assert iou[0] == pytest.approx(70 / 200)
    # no bound: plain IoU 2*10 / (170 + 100 - 20)
    iou = got10k_rect_iou(
        np.array([[-5., 10, 17, 10]]), np.array([[10., 10, 10, 10]]))
    assert iou[0] == pytest.approx(20 / 250)


def test_got10k_ao_sr():
    # video 1 (100x100): frame 0 ignored, IoUs 1 and 0.5, frame 3 absent
    pred1 = np.array([[50, 50, 60, 60], [0, 0, 10, 10], [0, 0, 10, 5],
                      [50, 50, 60, 60]], dtype=float)
    gt1 = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10], NAN4])
    vis1 = np.array([True, True, True, False])
    # video 2 (20x20): IoU 0.5 after clipping to the image, then the
    # x<0 quirk above (0.35)
    pred2 = np.array([[0, 0, 1, 1], [15, 10, 25, 20], [-5, 10, 12, 20]],
                     dtype=float)
    gt2 = np.array([[10, 10, 20, 20]] * 3, dtype=float)
    vis2 = np.ones(3, bool)
    out = eval_got10k([pred1, pred2], [gt1, gt2], [vis1, vis2],
                      image_sizes=[(100, 100), (20, 20)],
                      video_names=['a', 'b'])
    # frame-weighted over the 4 evaluated frames: (1 + .5 + .5 + .35) / 4
    assert out['AO'] == pytest.approx(2.35 / 4)
    assert out['SR0.5'] == pytest.approx(0.25)  # strict: 0.5 is not > 0.5
    assert out['SR0.75'] == pytest.approx(0.25)
    assert out['num_frames'] == 4
    assert out['seq_wise']['a']['AO'] == pytest.approx(0.75)
    assert out['seq_wise']['b']['AO'] == pytest.approx(0.425)
    assert out['succ_curve'].shape == (101, )
    assert out['succ_curve'][0] == pytest.approx(1.0)  # all IoUs > 0
    assert out['succ_curve'][40] == pytest.approx(0.75)  # > 0.40
    assert out['succ_curve'][100] == pytest.approx(0.0)


def test_got10k_zero_size_gt_and_all_absent():
    pred = np.array([[0, 0, 4, 4], [0, 0, 4, 4], [0, 0, 4, 4]], dtype=float)
    gt = np.array([[0, 0, 4, 4], [2, 2, 2, 2], [0, 0, 4, 4]], dtype=float)
    out = eval_got10k([pred], [gt], [np.ones(3, bool)])
    assert out['AO'] == pytest.approx(0.5)  # IoUs 0 (zero area gt) and 1
    # an all-absent video contributes no frame; alone, nothing to average
    out = eval_got10k([pred], [np.full((3, 4), np.nan)], [np.zeros(3, bool)])
    assert out['num_frames'] == 0 and math.isnan(out['AO'])


def test_got10k_bad_inputs():
    pred = np.zeros((3, 4))
    with pytest.raises(ValueError, match='same non-zero number'):
        eval_got10k([pred], [np.zeros((2, 4))], [np.ones(3, bool)])
    gt = np.zeros((3, 4))
    gt[2] = np.nan
    with pytest.raises(ValueError, match=r'frame 2 \(line 3 of its '
                       r'groundtruth.txt\) is visible but has a NaN'):
        eval_got10k([pred], [gt], [np.ones(3, bool)], video_names=['a'])
