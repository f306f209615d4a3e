# Copyright (c) mmtao contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmdet.models.necks import FPN

from mmtao.models.necks import TemplateAttentionNeck

FPN_CFG = dict(type='FPN', in_channels=[4, 8], out_channels=6, num_outs=3)


def inputs(batch=1):
    g = torch.Generator().manual_seed(0)
    return (torch.randn(batch, 4, 16, 16,
                        generator=g), torch.randn(batch, 8, 8, 8, generator=g))


def make_neck(**kwargs):
    torch.manual_seed(0)
    neck = TemplateAttentionNeck(neck=FPN_CFG, **kwargs)
    neck.init_weights()
    return neck


def test_no_template_is_the_plain_fpn():
    neck = make_neck()
    fpn = FPN(in_channels=[4, 8], out_channels=6, num_outs=3)
    fpn.load_state_dict(neck.neck.state_dict())
    x = inputs(2)
    for a, b in zip(neck(x), fpn(x)):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_plain_fpn_state_dict_loads_into_the_wrapper():
    fpn = FPN(in_channels=[4, 8], out_channels=6, num_outs=3)
    neck = TemplateAttentionNeck(neck=FPN_CFG)
    result = neck.load_state_dict(fpn.state_dict(), strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    for k, v in fpn.state_dict().items():
        torch.testing.assert_close(neck.neck.state_dict()[k], v)
    # the wrapper's own state dict reloads too
    neck.load_state_dict(neck.state_dict(), strict=True)


@pytest.mark.parametrize('normalize', ['none', 'template', 'cosine'])
def test_attention_matches_numpy(normalize):
    neck = make_neck(normalize=normalize)
    x = inputs(1)
    plain = [p.detach().numpy().astype(np.float64) for p in neck(x)]
    templates = torch.randn(3, 6, generator=torch.Generator().manual_seed(1))
    outs = neck(x, templates)
    T = templates.numpy().astype(np.float64)
    if normalize == 'template':
        T = T / (T**2).sum(1, keepdims=True)
    elif normalize == 'cosine':
        T = T / np.linalg.norm(T, axis=1, keepdims=True)
    assert len(outs) == 3
    for out, P in zip(outs, plain):
        S = np.einsum('chw,kc->khw', P[0], T)
        if normalize == 'cosine':
            S = S / np.linalg.norm(P[0], axis=0)[None]
            assert np.abs(S).max() <= 1 + 1e-6
        want = P[0][None] * S[:, None]
        assert out.shape == (3, 6) + P.shape[-2:]
        np.testing.assert_allclose(
            out.detach().numpy(), want, rtol=1e-4, atol=1e-5)


def test_template_normalisation_gives_similarity_one_at_the_template():
    neck = make_neck(normalize='template')
    feats = [p.detach() for p in neck(inputs(1))]
    t = feats[1][0, :, 3, 5]
    sim = neck.similarity(feats, t[None])
    torch.testing.assert_close(sim[1][0, 0, 3, 5], torch.tensor(1.))


def test_one_template_per_image_and_explicit_batch_inds():
    neck = make_neck()
    x = inputs(2)
    feats = neck(x)
    templates = torch.randn(2, 6)
    paired = neck.attend(feats, templates)  # B == K: template i on image i
    swapped = neck.attend(feats, templates.flip(0), torch.tensor([1, 0]))
    for a, b in zip(paired, swapped):
        torch.testing.assert_close(a, b.flip(0))
    with pytest.raises(ValueError, match='batch_inds'):
        neck.attend(feats, torch.randn(3, 6))
    with pytest.raises(ValueError, match='channels'):
        neck.attend(feats, torch.randn(2, 5))


def test_gradient_flows_to_template_and_features():
    neck = make_neck()
    templates = torch.randn(2, 6, requires_grad=True)
    out = neck(inputs(1), templates)
    sum(o.sum() for o in out).backward()
    assert templates.grad.abs().sum() > 0
    assert neck.neck.lateral_convs[0].conv.weight.grad.abs().sum() > 0


def test_bad_normalize_raises():
    with pytest.raises(ValueError, match='normalize'):
        TemplateAttentionNeck(neck=FPN_CFG, normalize='softmax')
