# Copyright (c) mmtao contributors. All rights reserved.
import pytest
import torch
from mmcv.ops import roi_align

from mmtao.models.layers import separable_roi_align


def random_rois(num, num_imgs, h, w, scale, gen):
    """RoIs of all sizes, some partly or entirely outside the map."""
    img_w, img_h = w / scale, h / scale
    x1 = torch.rand(num, generator=gen) * img_w * 1.4 - 0.2 * img_w
    y1 = torch.rand(num, generator=gen) * img_h * 1.4 - 0.2 * img_h
    bw = torch.rand(num, generator=gen)**2 * img_w
    bh = torch.rand(num, generator=gen)**2 * img_h
    batch = torch.randint(0, num_imgs, (num, ), generator=gen).float()
    return torch.stack([batch, x1, y1, x1 + bw, y1 + bh], 1)


@pytest.mark.parametrize('num_imgs,h,w,scale', [(1, 30, 40, 1 / 4),
                                                (3, 15, 20, 1 / 8),
                                                (2, 1, 1, 1 / 64)])
@pytest.mark.parametrize('out_size', [7, 14])
@pytest.mark.parametrize('sampling_ratio,aligned', [(0, True), (2, True),
                                                    (0, False)])
def test_equals_mmcv_roi_align(num_imgs, h, w, scale, out_size,
                               sampling_ratio, aligned):
    gen = torch.Generator().manual_seed(0)
    feat = torch.randn(num_imgs, 8, h, w, generator=gen)
    rois = random_rois(150, num_imgs, h, w, scale, gen)
    ref = roi_align(feat, rois, (out_size, out_size), scale, sampling_ratio,
                    'avg', aligned)
    out = separable_roi_align(
        feat.permute(0, 2, 3, 1).contiguous(), rois, (out_size, out_size),
        scale, sampling_ratio, aligned)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
    # the attention form: one shared feature map times K maps
    sims = torch.rand(num_imgs, h, w, generator=gen)
    ref = roi_align(feat[:1] * sims[:, None], rois, (out_size, out_size),
                    scale, sampling_ratio, 'avg', aligned)
    out = separable_roi_align(
        feat[:1].permute(0, 2, 3, 1).contiguous(),
        rois, (out_size, out_size),
        scale,
        sampling_ratio,
        aligned,
        sims=sims)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)


def test_hand_computed_bin():
    # a 2x2 RoI on a ramp f(y, x) = 10 y + x with one 1x1 bin and a 2x2
    # sampling grid (aligned: pixel centres at integers after -0.5): the
    # samples at (0.5, 0.5), (0.5, 1.5), (1.5, 0.5), (1.5, 1.5) average to
    # f(1, 1) = 11 for a linear f
    ys, xs = torch.meshgrid(torch.arange(4.), torch.arange(4.), indexing='ij')
    feat = (10 * ys + xs)[None, :, :, None]
    rois = torch.tensor([[0., 0.5, 0.5, 2.5, 2.5]])
    out = separable_roi_align(feat, rois, (1, 1), 1.0, 0, True)
    assert out.shape == (1, 1, 1, 1)
    assert float(out) == pytest.approx(11.0)
    assert separable_roi_align(feat, rois[:0], (7, 7), 1.0).shape == (0, 1,
                                                                      7, 7)
