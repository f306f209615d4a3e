# Copyright (c) mmtao contributors. All rights reserved.
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
        Tensor: (K, C_out, H, W).
    """
    if (conv.kernel_size != (3, 3) or conv.stride != (1, 1)
            or conv.padding != (1, 1) or conv.dilation != (1, 1)
            or conv.groups != 1 or feat.size(0) != 1):
        raise ValueError('attended_conv3x3 needs a plain 3x3 conv with '
                         'padding 1 and one frame, got '
                         f'{conv} on {tuple(feat.shape)}')
    _, _, height, width = feat.shape
    out_channels = conv.out_channels
    taps = conv.weight.permute(2, 3, 0, 1).reshape(9 * out_channels, -1, 1, 1)
    # zero padding of P . S is the product of the zero-padded factors
    products = F.conv2d(F.pad(feat, (1, 1, 1, 1)), taps).view(
        9, out_channels, height + 2, width + 2)
    sims = F.pad(sims, (1, 1, 1, 1))
    out = feat.new_zeros(sims.size(0), out_channels, height, width)
    if conv.bias is not None:
        out += conv.bias.view(1, -1, 1, 1)
    for tap in range(9):
        dy, dx = divmod(tap, 3)
        out.addcmul_(sims[:, :, dy:dy + height, dx:dx + width],
                     products[tap:tap + 1, :, dy:dy + height, dx:dx + width])
    return out
