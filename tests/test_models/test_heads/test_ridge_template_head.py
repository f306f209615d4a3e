# Copyright (c) mmtao contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor

from mmtao.models.heads import RidgeTemplateHead

STRIDES = (4, 8, 16, 32)


def ridge_numpy(pos, neg, reg, relative=True):
    """T_d = (A^T A + lambda I)^-1 A^T y in float64 (Eq. 3)."""
    A = np.concatenate([pos, neg]).astype(np.float64)
    y = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])
    lam = reg * (pos.astype(np.float64)**2).sum(1).mean() if relative \
        else reg
    return np.linalg.solve(A.T @ A + lam * np.eye(A.shape[1]), A.T @ y)


@pytest.mark.parametrize('num_pos', [1, 4])
@pytest.mark.parametrize('num_neg,dim', [(5, 16), (40, 16), (16, 16)])
@pytest.mark.parametrize('reg_mode', ['relative', 'absolute'])
def test_solve_matches_numpy_closed_form(num_pos, num_neg, dim, reg_mode):
    rng = np.random.default_rng(num_pos * 100 + num_neg)
    pos = rng.normal(size=(num_pos, dim)).astype(np.float32)
    neg = rng.normal(size=(num_neg, dim)).astype(np.float32)
    head = RidgeTemplateHead(reg=0.3, reg_mode=reg_mode)
    got = head.solve(torch.from_numpy(pos), torch.from_numpy(neg))
    assert got.dtype == torch.float32 and got.shape == (dim, )
    want = ridge_numpy(pos, neg, 0.3, reg_mode == 'relative')
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-4, atol=1e-6)


def test_solve_is_batched():
    rng = np.random.default_rng(1)
    pos = rng.normal(size=(3, 1, 8)).astype(np.float32)
    neg = rng.normal(size=(3, 20, 8)).astype(np.float32)
    head = RidgeTemplateHead(reg=0.1)
    got = head.solve(torch.from_numpy(pos), torch.from_numpy(neg)).numpy()
    for b in range(3):
        np.testing.assert_allclose(
            got[b], ridge_numpy(pos[b], neg[b], 0.1), rtol=1e-4, atol=1e-6)


def test_solve_zero_padding_rows_do_not_change_solution():
    rng = np.random.default_rng(2)
    pos = torch.from_numpy(rng.normal(size=(1, 8)))
    neg = torch.from_numpy(rng.normal(size=(3, 8)))  # dual system (4 < 8)
    head = RidgeTemplateHead(reg=0.1)
    padded = torch.cat([neg, torch.zeros(20, 8, dtype=neg.dtype)])  # primal
    torch.testing.assert_close(
        head.solve(pos, neg), head.solve(pos, padded), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize('num_neg', [3, 12])  # dual and primal systems
def test_solve_gradcheck(num_neg):
    torch.manual_seed(0)
    head = RidgeTemplateHead(reg=0.2)
    pos = torch.randn(2, 6, dtype=torch.float64, requires_grad=True)
    neg = torch.randn(num_neg, 6, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(head.solve, (pos, neg))


def test_solve_is_stable_in_float32_for_large_features():
    # features of norm ~1e3 (unnormalised FPN outputs) and a near-duplicate
    # negative: the relative lambda keeps the system well conditioned
    rng = np.random.default_rng(3)
    pos = rng.normal(size=(1, 32)) * 1e3
    neg = np.concatenate(
        [pos + rng.normal(size=(1, 32)),
         rng.normal(size=(100, 32)) * 1e3])
    head = RidgeTemplateHead(reg=0.1)
    got = head.solve(
        torch.tensor(pos, dtype=torch.float32),
        torch.tensor(neg, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(
        got, ridge_numpy(pos, neg, 0.1), rtol=1e-3, atol=1e-9)


def test_solve_rejects_bad_shapes():
    head = RidgeTemplateHead()
    with pytest.raises(ValueError, match='equal D'):
        head.solve(torch.zeros(1, 4), torch.zeros(3, 5))
    with pytest.raises(ValueError, match='P>=1'):
        head.solve(torch.zeros(0, 4), torch.zeros(3, 4))


def test_level_choice_equals_mmdet_map_roi_levels():
    extractor = SingleRoIExtractor(
        roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
        out_channels=8,
        featmap_strides=list(STRIDES))
    head = RidgeTemplateHead(featmap_strides=STRIDES)
    rng = np.random.default_rng(0)
    # sizes from 1 px to 1000 px, with exact level boundaries 112/224/448
    sizes = np.concatenate([
        np.exp(rng.uniform(0, np.log(1000), size=(500, 2))),
        np.array([[112, 112], [224, 224], [448, 448], [56, 56]])
    ])
    xy = rng.uniform(0, 50, size=(len(sizes), 2))
    rois = torch.tensor(
        np.concatenate([np.zeros((len(sizes), 1)), xy, xy + sizes], 1),
        dtype=torch.float32)
    want = extractor.map_roi_levels(rois, 4)
    torch.testing.assert_close(head.map_levels(rois), want)
    assert set(want.tolist()) == {0, 1, 2, 3}
    # hand-computed: floor(log2(sqrt(w h) / 56)) clamped to [0, 3]
    hand = np.clip(np.floor(np.log2(np.sqrt(sizes.prod(1)) / 56 + 1e-6)), 0, 3)
    np.testing.assert_array_equal(head.map_levels(rois).numpy(), hand)


def coded_feats(size=128, dim=5):
    """Levels whose features encode (level, row, col) + random channels."""
    g = torch.Generator().manual_seed(0)
    feats = []
    for lvl, s in enumerate(STRIDES):
        h = w = size // s
        f = torch.randn(1, dim, h, w, generator=g)
        f[0, 0] = lvl
        f[0, 1] = torch.arange(h, dtype=torch.float32)[:, None]
        f[0, 2] = torch.arange(w, dtype=torch.float32)[None, :]
        feats.append(f)
    return feats


def test_center_feature_comes_from_the_mapped_level_and_centre_cell():
    feats = coded_feats()
    meta = dict(img_shape=(128, 128))
    head = RidgeTemplateHead(strategy='center').eval()
    # 12x12 box on level 0 (stride 4), centre (14, 22) = cell (row 5, col 3)
    box = torch.tensor([[8., 16., 20., 28.]])
    t = head(feats, [box], [meta])[0]
    torch.testing.assert_close(t, feats[0][0, :, 5, 3])
    # 120x120 box -> level 1 (stride 8); centre (64, 64) lies on a cell
    # corner: bilinear mean of cells (7..8, 7..8)
    box = torch.tensor([[4., 4., 124., 124.]])
    t = head(feats, [box], [meta])[0]
    torch.testing.assert_close(t, feats[1][0, :, 7:9, 7:9].mean((1, 2)))


def test_mean_pos_and_mean_diff_follow_their_definitions():
    feats = coded_feats()
    meta = dict(img_shape=(128, 128))
    box = torch.tensor([[8., 16., 20., 28.]])  # level 0, grid on cell centres
    pos_mean = feats[0][0, :, 4:7, 2:5].mean((1, 2))
    head = RidgeTemplateHead(strategy='mean_pos', grid_size=3).eval()
    torch.testing.assert_close(head(feats, [box], [meta])[0], pos_mean)

    # enough negatives to take every cell outside the box on every level
    outside = []
    for f, s in zip(feats, STRIDES):
        h, w = f.shape[-2:]
        for i in range(h):
            for j in range(w):
                cx, cy = (j + 0.5) * s, (i + 0.5) * s
                if not (8 <= cx <= 20 and 16 <= cy <= 28):
                    outside.append(f[0, :, i, j])
    outside = torch.stack(outside)
    head = RidgeTemplateHead(
        strategy='mean_diff', grid_size=3, num_negatives=4 * 1024).eval()
    torch.testing.assert_close(
        head(feats, [box], [meta])[0], pos_mean - outside.mean(0))

    head = RidgeTemplateHead(
        strategy='ridge', num_negatives=4 * 1024, reg=0.1).eval()
    centre = feats[0][0, :, 5, 3]
    want = ridge_numpy(centre[None].numpy(), outside.numpy(), 0.1)
    np.testing.assert_allclose(
        head(feats, [box], [meta])[0].numpy(), want, rtol=1e-4, atol=1e-5)


def test_negatives_lie_outside_the_box_inside_the_image_on_all_levels():
    feats = coded_feats()
    head = RidgeTemplateHead(num_negatives=200)
    box = torch.tensor([10., 20., 70., 90.])
    img_shape = (100, 120)  # the rest of the 128x128 map is padding
    for training in (True, False):
        head.train(training)
        neg = head._negatives([f[0] for f in feats], box, img_shape)
        assert neg.shape == (200, 5)
        real = neg[neg.abs().sum(1) > 0]
        lvl = real[:, 0].long()
        assert set(lvl.tolist()) == {0, 1, 2, 3}
        s = torch.tensor(STRIDES, dtype=torch.float32)[lvl]
        cy, cx = (real[:, 1] + 0.5) * s, (real[:, 2] + 0.5) * s
        assert bool(((cx < 120) & (cy < 100)).all())
        inside = (cx >= 10) & (cx <= 70) & (cy >= 20) & (cy <= 90)
        assert not bool(inside.any())


def test_negative_sampling_is_deterministic_in_eval_and_random_in_train():
    feats = coded_feats()
    box = torch.tensor([10., 20., 70., 90.])
    head = RidgeTemplateHead(num_negatives=64, seed=3).eval()
    a = head._negatives([f[0] for f in feats], box, (128, 128))
    b = head._negatives([f[0] for f in feats], box, (128, 128))
    torch.testing.assert_close(a, b)
    head.train()
    torch.manual_seed(0)
    c = head._negatives([f[0] for f in feats], box, (128, 128))
    d = head._negatives([f[0] for f in feats], box, (128, 128))
    assert not torch.equal(c, d)


def test_forward_is_batched_over_images_and_boxes():
    feats = [torch.cat([f, f.flip(-1)]) for f in coded_feats()]
    metas = [dict(img_shape=(128, 128))] * 2
    head = RidgeTemplateHead().eval()
    b0 = torch.tensor([[10., 20., 70., 90.], [30., 30., 40., 50.]])
    b1 = torch.tensor([[5., 5., 100., 100.]])
    both = head(feats, [b0, b1], metas)
    assert both.shape == (3, 5)
    one = head([f[1:] for f in feats], [b1], metas[:1])
    torch.testing.assert_close(both[2:], one)


@pytest.mark.parametrize('box,match', [
    ([10., 10., 10., 40.], 'non-positive size'),
    ([10., 40., 30., 20.], 'non-positive size'),
    ([float('nan'), 1., 5., 5.], 'NaN'),
    ([130., 10., 150., 40.], 'entirely outside'),
    ([-40., -40., -1., -1.], 'entirely outside'),
])
def test_bad_template_boxes_raise_value_error(box, match):
    head = RidgeTemplateHead()
    with pytest.raises(ValueError, match=match):
        head(coded_feats(), [torch.tensor([box])],
             [dict(img_shape=(128, 128))])


def test_bad_config_raises():
    with pytest.raises(ValueError, match='strategy'):
        RidgeTemplateHead(strategy='median')
    with pytest.raises(ValueError, match='reg'):
        RidgeTemplateHead(reg=0.)


def test_solve_stays_finite_for_a_zero_template():
    rng = np.random.default_rng(4)
    head = RidgeTemplateHead(reg=0.1)
    pos = torch.zeros(1, 16)
    neg = torch.tensor(rng.normal(size=(40, 16)) * 100, dtype=torch.float32)
    t = head.solve(pos, neg)
    assert torch.isfinite(t).all()
    # the floor lambda = 1e-4 * reg * max ||a||^2 gives the closed form
    lam = 1e-4 * 0.1 * float((neg.double()**2).sum(1).max())
    A = np.concatenate([pos.numpy(), neg.numpy()]).astype(np.float64)
    y = np.zeros(41)
    y[0] = 1
    want = np.linalg.solve(A.T @ A + lam * np.eye(16), A.T @ y)
    np.testing.assert_allclose(t.numpy(), want, atol=1e-6)
