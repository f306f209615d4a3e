# Copyright (c) mmtao contributors. All rights reserved.
"""Proposals from the track itself (``SOTTracker(track_proposals=...)``)."""
from typing import Optional, Sequence, Tuple

import torch
from torch import Tensor


def check_scales(scales: Optional[Sequence[float]]
                 ) -> Optional[Tuple[float, ...]]:
    """``track_proposals`` as a tuple of positive floats (None: off)."""
    if scales is None:
        return None
    out = tuple(float(s) for s in scales)
    if not out or any(not s > 0 for s in out):
        raise ValueError('track_proposals must be a non-empty sequence of '
                         f'positive scales, got {scales!r}')
    return out


def scaled_boxes(bboxes: Tensor, scales: Sequence[float],
                 img_shape: Sequence[int]) -> Tensor:
    """Each box scaled about its centre by each factor, clipped to the
    input.

    Args:
        bboxes (Tensor): (K, 4) xyxy, input pixels.
        scales (Sequence[float]): S factors of width and height.
        img_shape (Sequence[int]): (H, W) of the input.

    Returns:
        Tensor: (K, S, 4) xyxy; a box that falls outside the input keeps
        at least one pixel inside it.
    """
    h, w = img_shape[:2]
    ctr = (bboxes[:, :2] + bboxes[:, 2:]) / 2
    half = (bboxes[:, 2:] - bboxes[:, :2]) / 2
    s = bboxes.new_tensor(scales)[None, :, None]
    lo = ctr[:, None] - half[:, None] * s
    hi = ctr[:, None] + half[:, None] * s
    top = bboxes.new_tensor([w, h])
    lo = torch.minimum(lo.clamp(min=0), top - 1)
    hi = torch.maximum(torch.minimum(hi, top), lo + 1)
    return torch.cat([lo, hi], dim=-1)
