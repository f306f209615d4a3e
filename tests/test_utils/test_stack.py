# Copyright (c) mmtao contributors. All rights reserved.
"""The pinned stack is the one installed, and mmcv's compiled ops run."""
from importlib.metadata import version

import numpy as np
import torch


def test_pinned_versions():
    assert torch.__version__.startswith('2.13.0')
    assert version('mmcv') == '2.1.0'
    assert version('mmdet') == '3.3.0'
    assert version('mmengine') == '0.10.7'
    assert int(version('numpy').split('.')[0]) == 2
    assert int(version('setuptools').split('.')[0]) < 81
    import mmtao
    assert mmtao.__version__ == version('mmtao')


def test_mmcv_nms_cpu():
    from mmcv.ops import nms
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 11., 11.],
                          [20., 20., 30., 30.], [0., 0., 10., 9.]])
    scores = torch.tensor([0.9, 0.8, 0.7, 0.95])
    dets, keep = nms(boxes, scores, iou_threshold=0.5)
    # by hand: box3 (0.95) suppresses box0 (IoU 0.9) and box1
    # (IoU 81/(90+100-81)=0.74); box2 is disjoint and survives.
    assert keep.tolist() == [3, 2]
    np.testing.assert_allclose(dets[:, 4].numpy(), [0.95, 0.7], rtol=1e-6)


def test_mmcv_roi_align_cpu():
    from mmcv.ops import RoIAlign
    # A linear ramp f(x, y) = 2x + 3y sampled at pixel centres: bilinear
    # interpolation of a linear function is exact, so every output bin is the
    # ramp at the bin centre (aligned=True: pixel centres at +0.5).
    h, w = 16, 20
    ys, xs = torch.meshgrid(
        torch.arange(h, dtype=torch.float32),
        torch.arange(w, dtype=torch.float32),
        indexing='ij')
    feat = (2 * xs + 3 * ys)[None, None]
    roi = torch.tensor([[0., 2., 3., 10., 11.]])  # batch idx, x1, y1, x2, y2
    out = RoIAlign((4, 4), spatial_scale=1.0, sampling_ratio=2,
                   aligned=True)(feat, roi)
    bin_w, bin_h = (10 - 2) / 4, (11 - 3) / 4
    cx = 2 + bin_w * (torch.arange(4) + 0.5) - 0.5
    cy = 3 + bin_h * (torch.arange(4) + 0.5) - 0.5
    expected = 2 * cx[None, :] + 3 * cy[:, None]
    torch.testing.assert_close(out[0, 0], expected, rtol=1e-5, atol=1e-4)
