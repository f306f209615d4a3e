# Copyright (c) mmtao contributors. All rights reserved.
import importlib

import pytest
import torch
from mmcv.ops import roi_align

from mmtao.models.layers import PyramidTable, gathered_roi_align

SHAPES = [(30, 40), (15, 20), (8, 10), (1, 1)]
SCALES = [1 / 4, 1 / 8, 1 / 16, 1 / 128]


def random_rois(num, num_maps, img_h, img_w, gen):
    """RoIs of all sizes, some partly or entirely outside the image."""
    x1 = torch.rand(num, generator=gen) * img_w * 1.4 - 0.2 * img_w
    y1 = torch.rand(num, generator=gen) * img_h * 1.4 - 0.2 * img_h
    bw = torch.rand(num, generator=gen)**2 * img_w
    bh = torch.rand(num, generator=gen)**2 * img_h
    batch = torch.randint(0, num_maps, (num, ), generator=gen).float()
    return torch.stack([batch, x1, y1, x1 + bw, y1 + bh], 1)


def _pyramid(gen, num_maps=3):
    feats = [torch.randn(1, 8, h, w, generator=gen) for h, w in SHAPES]
    sims = [torch.rand(num_maps, 1, h, w, generator=gen) for h, w in SHAPES]
    return feats, sims


def _mmcv_per_level(levels_feats, rois, levels, out_size, sampling_ratio,
                    aligned):
    """mmcv's RoIAlign of every RoI on its level (the reference)."""
    out = torch.zeros(len(rois), 8, *out_size)
    for lvl, (feat, scale) in enumerate(zip(levels_feats, SCALES)):
        sel = levels == lvl
        out[sel] = roi_align(feat, rois[sel], out_size, scale,
                             sampling_ratio, 'avg', aligned)
    return out


@pytest.mark.parametrize('out_size', [(7, 7), (14, 14), (1, 1), (7, 3)])
@pytest.mark.parametrize('sampling_ratio,aligned', [(0, True), (2, True),
                                                    (0, False), (3, False)])
def test_equals_mmcv_roi_align_on_every_level(out_size, sampling_ratio,
                                              aligned):
    gen = torch.Generator().manual_seed(0)
    feats, sims = _pyramid(gen)
    rois = random_rois(200, 3, 120, 160, gen)
    levels = torch.randint(0, len(SHAPES), (len(rois), ), generator=gen)
    # plain features: one image, batch index 0
    plain = rois.clone()
    plain[:, 0] = 0
    out = gathered_roi_align(
        PyramidTable(feats), plain, levels, SCALES, out_size,
        sampling_ratio, aligned)
    ref = _mmcv_per_level(feats, plain, levels, out_size, sampling_ratio,
                          aligned)
    assert out.shape == ref.shape
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
    # attention: RoI of batch index k reads feat * sims[k], never built
    out = gathered_roi_align(
        PyramidTable(feats, sims), rois, levels, SCALES, out_size,
        sampling_ratio, aligned)
    attended = [
        feat.expand(3, -1, -1, -1) * sim for feat, sim in zip(feats, sims)
    ]
    ref = _mmcv_per_level(attended, rois, levels, out_size, sampling_ratio,
                          aligned)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)


def test_one_attention_map():
    gen = torch.Generator().manual_seed(1)
    feats, sims = _pyramid(gen, num_maps=1)
    rois = random_rois(40, 1, 120, 160, gen)
    levels = torch.zeros(len(rois), dtype=torch.long)
    out = gathered_roi_align(
        PyramidTable(feats, sims), rois, levels, SCALES, (7, 7))
    ref = roi_align(feats[0] * sims[0], rois, (7, 7), SCALES[0], 0, 'avg',
                    True)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)


def test_hand_computed_bin():
    # a 2x2 RoI on a ramp f(y, x) = 10 y + x with one 1x1 bin and a 2x2
    # sampling grid (aligned: pixel centres at integers after -0.5): the
    # samples at (0.5, 0.5), (0.5, 1.5), (1.5, 0.5), (1.5, 1.5) average to
    # f(1, 1) = 11 for a linear f
    ys, xs = torch.meshgrid(torch.arange(4.), torch.arange(4.), indexing='ij')
    table = PyramidTable([(10 * ys + xs)[None, None]])
    rois = torch.tensor([[0., 0.5, 0.5, 2.5, 2.5]])
    out = gathered_roi_align(table, rois, torch.tensor([0]), [1.0], (1, 1))
    assert out.shape == (1, 1, 1, 1)
    assert float(out) == pytest.approx(11.0)
    empty = gathered_roi_align(table, rois[:0], torch.tensor([], dtype=int),
                               [1.0], (7, 7))
    assert empty.shape == (0, 1, 7, 7)


def test_table_layout():
    gen = torch.Generator().manual_seed(2)
    feats, sims = _pyramid(gen)
    table = PyramidTable(feats, sims)
    for lvl, (h, w) in enumerate(SHAPES):
        y, x = h - 1, w // 2
        row = int(table.offsets[lvl]) + y * w + x
        assert torch.equal(table.table[row], feats[lvl][0, :, y, x])
        assert torch.equal(table.sims[:, row], sims[lvl][:, 0, y, x])
    assert table.table.shape == (sum(h * w for h, w in SHAPES), 8)


def test_bad_inputs_are_named():
    gen = torch.Generator().manual_seed(3)
    feats, sims = _pyramid(gen)
    rois = torch.tensor([[0., 10, 10, 40, 40]])
    level = torch.tensor([0])
    with pytest.raises(ValueError, match='one image'):
        PyramidTable([torch.cat([f, f]) for f in feats])
    with pytest.raises(ValueError, match='one \\(K, 1, H_l, W_l\\) map'):
        PyramidTable(feats, sims[:2])
    with pytest.raises(ValueError, match='batch indices must be in'):
        gathered_roi_align(
            PyramidTable(feats, sims), rois + torch.tensor([3., 0, 0, 0, 0]),
            level, SCALES, (7, 7))
    with pytest.raises(ValueError, match='x2 >= x1'):
        gathered_roi_align(
            PyramidTable(feats), rois[:, [0, 3, 2, 1, 4]], level, SCALES,
            (7, 7))
    with pytest.raises(ValueError, match='3 spatial scales'):
        gathered_roi_align(PyramidTable(feats), rois, level, SCALES[:3],
                           (7, 7))


def test_long_rois_are_gathered_apart(monkeypatch):
    """Above the entry budget the RoIs are split by run length (each part
    padded to its own runs); the output does not change."""
    # the package exports the function under the module's name
    module = importlib.import_module('mmtao.models.layers.gathered_roi_align')
    gen = torch.Generator().manual_seed(4)
    feats, sims = _pyramid(gen)
    rois = random_rois(60, 3, 120, 160, gen)
    levels = torch.zeros(len(rois), dtype=torch.long)
    table = PyramidTable(feats, sims)
    whole = gathered_roi_align(table, rois, levels, SCALES, (7, 7))
    monkeypatch.setattr(module, 'MAX_GATHER_ENTRIES', 2000)
    split = gathered_roi_align(table, rois, levels, SCALES, (7, 7))
    torch.testing.assert_close(split, whole, rtol=1e-6, atol=1e-6)
    attended = [f.expand(3, -1, -1, -1) * s for f, s in zip(feats, sims)]
    ref = _mmcv_per_level(attended, rois, levels, (7, 7), 0, True)
    torch.testing.assert_close(split, ref, rtol=1e-5, atol=1e-5)
