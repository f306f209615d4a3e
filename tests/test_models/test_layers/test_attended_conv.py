# Copyright (c) mmtao contributors. All rights reserved.
import pytest
import torch
from torch import nn

from mmtao.models.layers import attended_conv3x3


@pytest.mark.parametrize('bias', [True, False])
@pytest.mark.parametrize('num,h,w', [(1, 5, 7), (4, 9, 6), (3, 1, 1)])
def test_equals_the_conv_of_the_attended_features(bias, num, h, w):
    torch.manual_seed(0)
    conv = nn.Conv2d(6, 5, 3, padding=1, bias=bias)
    feat = torch.randn(1, 6, h, w)
    sims = torch.randn(num, 1, h, w)
    with torch.no_grad():
        ref = conv(feat * sims)
        out = attended_conv3x3(feat, sims, conv)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)


def test_refuses_other_convs():
    with pytest.raises(ValueError, match='plain 3x3 conv'):
        attended_conv3x3(
            torch.zeros(1, 2, 4, 4), torch.zeros(2, 1, 4, 4),
            nn.Conv2d(2, 2, 3, padding=1, dilation=1, stride=2))
