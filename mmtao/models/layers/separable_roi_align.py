# Copyright (c) mmtao contributors. All rights reserved.
from typing import Optional, Sequence, Tuple

import torch
from torch import Tensor

# window sizes (feature pixels) the RoIs are grouped by; one batched pair of
# matmuls per group
WINDOW_SIZES = (2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384,
                512, 768, 1024)


def _axis_weights(start: Tensor, bin_size: Tensor, grid: Tensor,
                  pooled: int, size: int) -> Tuple[Tensor, ...]:
    """Bilinear sampling of one axis, as mmcv's CPU RoIAlign computes it.

    Args:
        start (Tensor): (n, ) RoI start in feature pixels.
        bin_size (Tensor): (n, ) bin size.
        grid (Tensor): (n, ) samples per bin (float, >= 0).
        pooled (int): Output bins.
        size (int): Feature map size along the axis.

    Returns:
        tuple[Tensor]: ``low``, ``high`` (n, pooled, G) sample indices
        relative to ``first``, their weights ``w_low``, ``w_high`` (zero
        for samples outside the map or beyond a RoI's own grid), ``first``
        (n, ) the first pixel used and ``span`` (n, ) the pixels used.
    """
    max_grid = max(int(grid.max()), 1) if grid.numel() else 1
    i = torch.arange(max_grid, dtype=start.dtype, device=start.device)
    p = torch.arange(pooled, dtype=start.dtype, device=start.device)
    start, bin_size, grid = start[:, None, None], bin_size[:, None, None], \
        grid[:, None, None]
    # the same expression (and float order) as mmcv's kernel
    s = start + p[None, :, None] * bin_size + \
        (i[None, None] + .5) * bin_size / grid.clamp(min=1)
    valid = (s >= -1) & (s <= size) & (i[None, None] < grid)
    s = s.clamp(min=0)
    low = s.floor()
    top = low >= size - 1
    low = torch.where(top, torch.full_like(low, size - 1), low)
    s = torch.where(top, low, s)
    high = torch.where(top, low, low + 1)
    w_high = (s - low) * valid
    w_low = (1 - (s - low)) * valid
    low, high = low.long(), high.long()
    first = torch.where(valid, low, torch.full_like(low, size)).flatten(1)
    first = first.amin(1)
    last = torch.where(valid, high, torch.full_like(high, -1)).flatten(1)
    last = last.amax(1)
    first = torch.minimum(first, last.clamp(min=0))  # RoIs sampling nothing
    span = (last - first + 1).clamp(min=1)
    low = torch.where(valid, low - first[:, None, None], 0)
    high = torch.where(valid, high - first[:, None, None], 0)
    return low, high, w_low, w_high, first, span


def separable_roi_align(feat: Tensor,
                        rois: Tensor,
                        output_size: Tuple[int, int],
                        spatial_scale: float,
                        sampling_ratio: int = 0,
                        aligned: bool = True,
                        sims: Optional[Tensor] = None,
                        window_sizes: Sequence[int] = WINDOW_SIZES) -> Tensor:
    """RoIAlign (average) as two small matmuls per RoI.

    The average of bilinear samples over a bin is separable: with ``A_y``
    (bins x rows) and ``A_x`` (bins x cols) the summed 1-D interpolation
    weights of a RoI, its output is ``A_y F A_x^T / count`` for every
    channel of the window ``F`` of the feature map the RoI samples. This
    gives mmcv's ``RoIAlign`` (``pool_mode='avg'``) up to float rounding,
    with the same sampling grid (``sampling_ratio``, adaptive when 0) and
    border rules, in matmuls instead of a scalar loop: per RoI one for the
    rows, reading its window in place (the windows of overlapping proposals
    are not copied out), and one batched matmul for the columns of all RoIs
    of a window size (``window_sizes``).

    Args:
        feat (Tensor): One feature level, channels last: (B, H, W, C).
        rois (Tensor): (n, 5) ``(batch_index, x1, y1, x2, y2)`` in image
            coordinates.
        output_size (tuple[int]): ``(out_h, out_w)``.
        spatial_scale (float): Feature pixels per image pixel.
        sampling_ratio (int): Samples per bin and axis; 0 = adaptive
            (``ceil(roi_size / out_size)``). Defaults to 0.
        aligned (bool): Shift by -0.5 pixel (mmcv's ``aligned=True``).
            Defaults to True.
        sims (Tensor, optional): (K, H, W) per-image maps the feature is
            multiplied by (template attention): the RoI's batch index then
            picks the map, and ``feat`` (B = 1) is shared. Equal to running
            on ``feat * sims`` without building that (K, H, W, C) tensor.
        window_sizes (Sequence[int]): Increasing window sizes to group by.

    Returns:
        Tensor: (n, C, out_h, out_w).
    """
    out_h, out_w = output_size
    num_imgs, height, width, channels = feat.shape
    num = rois.size(0)
    if num == 0:
        return feat.new_zeros(0, channels, out_h, out_w)
    rois = rois.to(feat.dtype)
    offset = 0.5 if aligned else 0.0
    x1 = rois[:, 1] * spatial_scale - offset
    y1 = rois[:, 2] * spatial_scale - offset
    roi_w = rois[:, 3] * spatial_scale - offset - x1
    roi_h = rois[:, 4] * spatial_scale - offset - y1
    if not aligned:
        roi_w, roi_h = roi_w.clamp(min=1), roi_h.clamp(min=1)
    elif bool((roi_w < 0).any() or (roi_h < 0).any()):
        raise ValueError('separable_roi_align: RoIs must have x2 >= x1 and '
                         'y2 >= y1')
    bin_h, bin_w = roi_h / out_h, roi_w / out_w
    if sampling_ratio > 0:
        grid_h = torch.full_like(roi_h, sampling_ratio)
        grid_w = torch.full_like(roi_w, sampling_ratio)
    else:
        grid_h, grid_w = torch.ceil(roi_h / out_h), torch.ceil(roi_w / out_w)
    y_low, y_high, wy_low, wy_high, row0, rows = _axis_weights(
        y1, bin_h, grid_h, out_h, height)
    x_low, x_high, wx_low, wx_high, col0, cols = _axis_weights(
        x1, bin_w, grid_w, out_w, width)
    count = (grid_h * grid_w).clamp(min=1)

    # group by window size; keep windows inside the map by moving them
    sizes = torch.as_tensor(window_sizes, device=feat.device)
    win_h = sizes[torch.searchsorted(sizes, rows).clamp(
        max=len(sizes) - 1)].clamp(max=height)
    win_w = sizes[torch.searchsorted(sizes, cols).clamp(
        max=len(sizes) - 1)].clamp(max=width)
    if bool((win_h < rows).any() or (win_w < cols).any()):
        raise ValueError('separable_roi_align: a RoI spans more pixels than '
                         'the largest window size')
    new_row0 = torch.minimum(row0, height - win_h)
    new_col0 = torch.minimum(col0, width - win_w)
    y_low = y_low + (row0 - new_row0)[:, None, None]
    y_high = y_high + (row0 - new_row0)[:, None, None]
    x_low = x_low + (col0 - new_col0)[:, None, None]
    x_high = x_high + (col0 - new_col0)[:, None, None]

    batch = rois[:, 0].long()
    feat_batch = torch.zeros_like(batch) if sims is not None else batch
    if sims is None and num_imgs > 1 and int(batch.max()) >= num_imgs:
        raise ValueError('separable_roi_align: RoI batch index out of range')
    # every RoI's interpolation matrices at the largest window, built in one
    # pass; a group uses the first columns of its RoIs' rows
    max_h, max_w = int(win_h.max()), int(win_w.max())
    a_y = feat.new_zeros(num, out_h, max_h)
    a_y.scatter_add_(2, y_low, wy_low)
    a_y.scatter_add_(2, y_high, wy_high)
    a_x = feat.new_zeros(num, out_w, max_w)
    a_x.scatter_add_(2, x_low, wx_low)
    a_x.scatter_add_(2, x_high, wx_high)
    a_x /= count[:, None, None]
    # RoIs sorted by window size: every group is a slice, and the output is
    # put back in RoI order in one gather
    keys = win_h * (width + 1) + win_w
    keys, order = keys.sort()
    uniq, counts = torch.unique_consecutive(keys, return_counts=True)
    a_y, a_x = a_y[order], a_x[order]
    firsts = torch.stack([new_row0, new_col0, feat_batch, batch],
                         1)[order].tolist()
    # each map as a (H, W * C) matrix: a window is a strided block of it,
    # read by the matmul in place (BLAS takes the row stride), so the
    # overlapping windows of many RoIs are never copied out
    maps = feat.reshape(num_imgs, height, width * channels)
    outs = []
    start = 0
    for key, m in zip(uniq.tolist(), counts.tolist()):
        wh, ww = divmod(int(key), width + 1)
        a_y_group = a_y[start:start + m, :, :wh]
        rows = []
        for j in range(m):
            row0, col0, b, k = firsts[start + j]
            window = maps[b, row0:row0 + wh,
                          col0 * channels:(col0 + ww) * channels]
            if sims is not None:
                sim = sims[k, row0:row0 + wh, col0:col0 + ww, None]
                window = (window.view(wh, ww, channels) * sim).view(
                    wh, ww * channels)
            # rows: (out_h, wh) @ (wh, ww * C)
            rows.append(torch.mm(a_y_group[j], window))
        # columns, per output row: (out_w, ww) @ (ww, C)
        outs.append(
            torch.matmul(a_x[start:start + m, None, :, :ww],
                         torch.stack(rows).view(m, out_h, ww, channels)))
        start += m
    # (n, out_h, out_w, C) in window order -> RoI order, (n, C, out_h, out_w)
    out = torch.cat(outs).index_select(0, order.argsort())
    return out.permute(0, 3, 1, 2).contiguous()
