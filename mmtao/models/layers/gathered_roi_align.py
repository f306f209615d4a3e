# Copyright (c) mmtao contributors. All rights reserved.
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

# gathered entries (bags x pixels per bag) above which the RoIs are split
# by run length, so that a few long RoIs do not pad every bag to their run
MAX_GATHER_ENTRIES = 1 << 22


class PyramidTable:
    """The levels of one image's feature pyramid as one table of pixels.

    Row ``offsets[l] + y * W_l + x`` of ``table`` (sum_l H_l W_l, C) is the
    C-dim feature of level ``l`` at ``(y, x)``: the layout
    :func:`gathered_roi_align` reads with ``embedding_bag``. Built once per
    frame (one channels-last copy of every level) and shared by the box and
    mask RoI extractions of all templates.

    Args:
        feats (Sequence[Tensor]): Levels of shape (1, C, H_l, W_l).
        sims (Sequence[Tensor], optional): Per-level maps (K, 1, H_l, W_l)
            the features are multiplied by (template attention); kept as
            one (K, sum_l H_l W_l) table, so that the K products are never
            built.
    """

    def __init__(self,
                 feats: Sequence[Tensor],
                 sims: Optional[Sequence[Tensor]] = None) -> None:
        if feats[0].size(0) != 1:
            raise ValueError('PyramidTable holds one image, got a batch of '
                             f'{feats[0].size(0)}')
        channels = feats[0].size(1)
        sizes = [f.size(2) * f.size(3) for f in feats]
        device = feats[0].device
        self.heights = torch.tensor([f.size(2) for f in feats], device=device)
        self.widths = torch.tensor([f.size(3) for f in feats], device=device)
        self.offsets = torch.tensor([0] + sizes[:-1], device=device).cumsum(0)
        self.table = feats[0].new_empty(sum(sizes), channels)
        start = 0
        for feat, size in zip(feats, sizes):
            # one transposing copy per level straight into the table
            self.table[start:start + size].copy_(
                feat[0].reshape(channels, size).t())
            start += size
        self.sims = None
        if sims is not None:
            if len(sims) != len(feats) or any(
                    s.dim() != 4 or s.size(1) != 1 or s.shape[2:] !=
                    f.shape[2:] or s.size(0) != sims[0].size(0)
                    for s, f in zip(sims, feats)):
                raise ValueError(
                    'PyramidTable: sims must be one (K, 1, H_l, W_l) map '
                    'per level, got '
                    f'{[tuple(s.shape) for s in sims]} for levels '
                    f'{[tuple(f.shape) for f in feats]}')
            self.sims = torch.cat([s.flatten(1) for s in sims], 1)


def _axis_weights(start: Tensor, bin_size: Tensor, grid: Tensor, pooled: int,
                  size: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """One axis of mmcv's CPU RoIAlign sampling, summed per pixel.

    A bin's samples along one axis touch a run of consecutive pixels; their
    bilinear weights are summed per pixel of that run.

    Args:
        start (Tensor): (n, ) RoI start in feature pixels.
        bin_size (Tensor): (n, ) bin size.
        grid (Tensor): (n, ) samples per bin (float, >= 0).
        pooled (int): Output bins.
        size (Tensor): (n, ) map size along the axis (each RoI's level).

    Returns:
        tuple[Tensor]: ``first`` (n, pooled) the first pixel of every bin's
        run, ``weights`` (n, pooled, span) the summed weights of the run
        (zero for samples outside the map or beyond a RoI's own grid) and
        ``spans`` (n, ) the longest run of every RoI.
    """
    max_grid = max(int(grid.max()), 1)
    i = torch.arange(max_grid, dtype=start.dtype, device=start.device)
    p = torch.arange(pooled, dtype=start.dtype, device=start.device)
    start, bin_size = start[:, None, None], bin_size[:, None, None]
    grid, size = grid[:, None, None], size[:, None, None]
    # the same expression (and float order) as mmcv's kernel
    s = start + p[None, :, None] * bin_size + \
        (i[None, None] + .5) * bin_size / grid.clamp(min=1)
    valid = (s >= -1) & (s <= size) & (i[None, None] < grid)
    s = s.clamp(min=0)
    low = s.floor()
    top = low >= size - 1
    low = torch.where(top, (size - 1).to(low.dtype), low)
    s = torch.where(top, low, s)
    w_high = (s - low) * valid
    w_low = (1 - (s - low)) * valid
    # samples move forward along the axis: the first one has the run's
    # first pixel (samples past a RoI's grid are masked, not to widen it)
    first = low[..., :1]
    rel_low = torch.where(valid, low - first, 0).long()
    rel_high = torch.where(valid & ~top, rel_low + 1, rel_low)
    spans = rel_high.amax((1, 2)) + 1
    weights = s.new_zeros(*low.shape[:2], int(spans.max()))
    weights.scatter_add_(2, rel_low, w_low)
    weights.scatter_add_(2, rel_high, w_high)
    return first[..., 0].long(), weights, spans


def gathered_roi_align(table: PyramidTable,
                       rois: Tensor,
                       levels: Tensor,
                       spatial_scales: Sequence[float],
                       output_size: Tuple[int, int],
                       sampling_ratio: int = 0,
                       aligned: bool = True) -> Tensor:
    """mmcv's average RoIAlign on several levels in one gather.

    Every output bin is a weighted sum of the pixels its bilinear samples
    touch: ``(wy_r * wx_c / count)`` for the pixel ``(r, c)`` of the bin's
    run of rows and columns, times the template's similarity at that pixel
    when ``table`` holds maps. All bins of all RoIs on all levels are one
    ``embedding_bag`` (a weighted row gather) from the pyramid table. This
    gives mmcv's ``RoIAlign`` (``pool_mode='avg'``) of every RoI on its
    level up to float rounding, with the same sampling grid
    (``sampling_ratio``, adaptive when 0) and border rules, and with
    ``table.sims`` the RoIAlign of the attended level ``feat * sims[k]``
    for a RoI of batch index ``k``.

    Args:
        table (:obj:`PyramidTable`): The image's levels.
        rois (Tensor): (n, 5) ``(batch_index, x1, y1, x2, y2)`` in image
            coordinates; the batch index picks the similarity map (0
            without maps).
        levels (Tensor): (n, ) level of every RoI.
        spatial_scales (Sequence[float]): Feature pixels per image pixel of
            every level.
        output_size (tuple[int]): ``(out_h, out_w)``.
        sampling_ratio (int): Samples per bin and axis; 0 = adaptive
            (``ceil(roi_size / out_size)``). Defaults to 0.
        aligned (bool): Shift by -0.5 pixel (mmcv's ``aligned=True``).
            Defaults to True.

    Returns:
        Tensor: (n, C, out_h, out_w).
    """
    out_h, out_w = output_size
    num = rois.size(0)
    channels = table.table.size(1)
    if num == 0:
        return table.table.new_zeros(0, channels, out_h, out_w)
    if len(spatial_scales) != len(table.heights):
        raise ValueError(f'{len(spatial_scales)} spatial scales for a '
                         f'pyramid of {len(table.heights)} levels')
    batch = rois[:, 0].long()
    num_maps = 1 if table.sims is None else table.sims.size(0)
    if bool((batch < 0).any() or (batch >= num_maps).any()):
        raise ValueError(f'gathered_roi_align: RoI batch indices must be in '
                         f'[0, {num_maps}), got {batch.unique().tolist()}')
    rois = rois.to(table.table.dtype)
    levels = levels.long()
    scale = rois.new_tensor(spatial_scales)[levels]
    offset = 0.5 if aligned else 0.0
    x1 = rois[:, 1] * scale - offset
    y1 = rois[:, 2] * scale - offset
    roi_w = rois[:, 3] * scale - offset - x1
    roi_h = rois[:, 4] * scale - offset - y1
    if not aligned:
        roi_w, roi_h = roi_w.clamp(min=1), roi_h.clamp(min=1)
    elif bool((roi_w < 0).any() or (roi_h < 0).any()):
        raise ValueError('gathered_roi_align: RoIs must have x2 >= x1 and '
                         'y2 >= y1')
    if sampling_ratio > 0:
        grid_h = torch.full_like(roi_h, sampling_ratio)
        grid_w = torch.full_like(roi_w, sampling_ratio)
    else:
        grid_h, grid_w = torch.ceil(roi_h / out_h), torch.ceil(roi_w / out_w)
    height, width = table.heights[levels], table.widths[levels]
    if out_h == out_w:  # both axes in one pass (half the small ops)
        first, w_yx, spans = _axis_weights(
            torch.cat([y1, x1]), torch.cat([roi_h, roi_w]) / out_h,
            torch.cat([grid_h, grid_w]), out_h, torch.cat([height, width]))
        row0, col0 = first[:num], first[num:]
        spans_y, spans_x = spans[:num], spans[num:]
        w_y = w_yx[:num, :, :int(spans_y.max())]
        w_x = w_yx[num:, :, :int(spans_x.max())]
    else:
        row0, w_y, spans_y = _axis_weights(y1, roi_h / out_h, grid_h, out_h,
                                           height)
        col0, w_x, spans_x = _axis_weights(x1, roi_w / out_w, grid_w, out_w,
                                           width)
    span_y, span_x = w_y.size(2), w_x.size(2)
    if num > 1 and num * out_h * out_w * span_y * span_x > \
            MAX_GATHER_ENTRIES:
        # gather the short-run and the long-run half of the RoIs apart
        halves = (spans_y * spans_x).argsort().split((num + 1) // 2)
        out = table.table.new_empty(num, out_h, out_w, channels)
        for inds in halves:
            out[inds] = gathered_roi_align(
                table, rois[inds], levels[inds], spatial_scales, output_size,
                sampling_ratio, aligned).permute(0, 2, 3, 1)
        return out.permute(0, 3, 1, 2)
    w_y = w_y / (grid_h * grid_w).clamp(min=1)[:, None, None]
    # pixel indices of every bin's run; padding past a run (weight 0) is
    # clamped into the map
    rows = (row0[..., None] + torch.arange(span_y, device=row0.device)
            ).clamp(max=(height - 1)[:, None, None])
    cols = (col0[..., None] + torch.arange(span_x, device=col0.device)
            ).clamp(max=(width - 1)[:, None, None])
    row_base = table.offsets[levels][:, None, None] + \
        rows * width[:, None, None]
    # (n, out_h, out_w, span_y, span_x)
    inds = row_base[:, :, None, :, None] + cols[:, None, :, None, :]
    weights = w_y[:, :, None, :, None] * w_x[:, None, :, None, :]
    if table.sims is not None:
        # a 1-D index_select is ~6x faster than 2-D advanced indexing
        flat = inds
        if table.sims.size(0) > 1:
            flat = inds + (batch * table.sims.size(1))[:, None, None, None,
                                                       None]
        weights = weights * table.sims.view(-1).index_select(
            0, flat.view(-1)).view_as(weights)
    bags = num * out_h * out_w
    out = F.embedding_bag(
        inds.view(bags, span_y * span_x),
        table.table,
        mode='sum',
        per_sample_weights=weights.view(bags, span_y * span_x))
    return out.view(num, out_h, out_w, channels).permute(0, 3, 1, 2)
