# Copyright (c) mmtao contributors. All rights reserved.
import numpy as np
import pytest
import torch

from mmtao.models.heads import RidgeTemplateHead
from mmtao.models.trackers.template_memory import (TemplateMemory,
                                                   sample_points,
                                                   weighted_ridge)


def numpy_ridge(rows, weights, targets, is_pos, reg, reg_mode='relative'):
    """float64 reference: argmin sum_r w_r (a_r.T - y_r)^2 + lam |T|^2,
    written from the normal equations, object by object."""
    out = []
    for A, w, y, p in zip(rows, weights, targets, is_pos):
        A, w, y = (np.asarray(v, np.float64) for v in (A, w, y))
        sq = (A**2).sum(1)
        if reg_mode == 'relative':
            lam = reg * (w * p * sq).sum() / (w * p).sum()
            lam = max(lam, 1e-4 * reg * sq[w > 0].max())
        else:
            lam = reg
        M = (A * w[:, None]).T @ A + lam * np.eye(A.shape[1])
        out.append(np.linalg.solve(M, (A * w[:, None]).T @ y))
    return np.stack(out)


def random_memory(seed=0, K=3, R=40, D=16, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    rows = torch.randn(K, R, D, generator=g, dtype=dtype)
    weights = torch.rand(K, R, generator=g, dtype=dtype)
    weights[1, 30:] = 0  # padding
    targets = torch.zeros(K, R, dtype=dtype)
    targets[:, :5] = 1
    return rows, weights, targets, targets > 0.5


@pytest.mark.parametrize('reg_mode', ['relative', 'absolute'])
def test_weighted_ridge_equals_float64_reference(reg_mode):
    rows, weights, targets, is_pos = random_memory()
    got = weighted_ridge(rows, weights, targets, is_pos, 0.1, reg_mode)
    ref = numpy_ridge(rows.numpy(), weights.numpy(), targets.numpy(),
                      is_pos.numpy(), 0.1, reg_mode)
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-10, atol=1e-12)
    # float32 rows: solved in float64, returned in float32
    got32 = weighted_ridge(rows.float(), weights.float(), targets.float(),
                           is_pos, 0.1, reg_mode)
    assert got32.dtype == torch.float32
    np.testing.assert_allclose(got32.numpy(), ref, rtol=1e-4, atol=1e-5)
    # the optimum: the objective's gradient vanishes
    A, w, y = rows[0], weights[0], targets[0]
    T = got[0]
    lam = 0.1 * (w[:5] * A[:5].pow(2).sum(1)).sum() / w[:5].sum() \
        if reg_mode == 'relative' else 0.1
    grad = A.t() @ (w * (A @ T - y)) + lam * T
    assert grad.abs().max() < 1e-10


def test_padding_rows_change_nothing_and_batches_are_independent():
    rows, weights, targets, is_pos = random_memory(1)
    full = weighted_ridge(rows, weights, targets, is_pos)
    alone = weighted_ridge(rows[1:2, :30], weights[1:2, :30],
                           targets[1:2, :30], is_pos[1:2, :30])
    torch.testing.assert_close(full[1:2], alone, rtol=1e-12, atol=1e-12)


def test_memory_of_first_frame_is_the_heads_template():
    """Centre positive + background negatives: the memory's solve is the
    paper's template (the head's forward)."""
    head = RidgeTemplateHead(featmap_strides=(4, 8), num_negatives=32).eval()
    g = torch.Generator().manual_seed(0)
    feats = (torch.randn(1, 8, 16, 20, generator=g),
             torch.randn(1, 8, 8, 10, generator=g))
    boxes = torch.tensor([[10., 12., 40., 30.], [30., 2., 70., 60.]])
    meta = dict(img_shape=(64, 80))
    expected = head(feats, [boxes], [meta])
    pos, neg, levels = head.ridge_rows(feats, boxes, meta)
    torch.testing.assert_close(head.solve(pos, neg), expected, rtol=0,
                               atol=0)
    memory = TemplateMemory(reg=head.reg)
    for k in range(2):
        memory.add_object(pos[k], neg[k])
    torch.testing.assert_close(memory.solve(), expected, rtol=1e-5,
                               atol=1e-6)
    # the centre row is the bilinear feature at the box centre
    lvl = int(levels[0])
    c = sample_points(feats[lvl][0], torch.tensor([25.]), torch.tensor([21.]),
                      head.featmap_strides[lvl])
    torch.testing.assert_close(pos[0], c)


def test_memory_policy_bounds_decays_and_matches_reference():
    g = torch.Generator().manual_seed(2)
    D = 8
    memory = TemplateMemory(reg=0.1, max_pos_updates=2, max_neg_updates=1,
                            update_weight=0.5, hard_neg_weight=2.0,
                            decay=0.9)
    pos0, neg0 = torch.randn(1, D, generator=g), torch.randn(20, D,
                                                             generator=g)
    memory.add_object(pos0, torch.cat([neg0, torch.zeros(4, D)]))
    ups = [torch.randn(3, D, generator=g) for _ in range(3)]
    hards = [torch.randn(2, D, generator=g) for _ in range(2)]
    for f, u in enumerate(ups, 1):
        memory.add_positives(0, u, f)
    for f, h in enumerate(hards, 2):
        memory.add_negatives(0, h, f)
    # bounded: the two last updates, the last hard negative
    obj = memory.objects[0]
    assert [e.frame for e in obj['pos_updates']] == [2, 3]
    assert [e.frame for e in obj['neg_updates']] == [3]
    frame = 5
    A = torch.cat([pos0, neg0, ups[1], ups[2], hards[1]]).double()
    w = torch.cat([
        torch.ones(21),
        torch.full((3, ), 0.5 * 0.9**3 / 3),  # shared by the entry's rows
        torch.full((3, ), 0.5 * 0.9**2 / 3),
        torch.full((2, ), 2.0 * 0.9**2)
    ]).double()
    y = torch.cat([torch.ones(1), torch.zeros(20), torch.ones(6),
                   torch.zeros(2)]).double()
    ref = numpy_ridge(A[None].numpy(), w[None].numpy(), y[None].numpy(),
                      (y > 0.5)[None].numpy(), 0.1)
    got = memory.solve([0], frame)
    np.testing.assert_allclose(got.double().numpy(), ref, rtol=1e-5,
                               atol=1e-6)
    with pytest.raises(ValueError, match='decay'):
        TemplateMemory(decay=0)
