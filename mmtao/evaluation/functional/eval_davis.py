# Copyright (c) mmtao contributors. All rights reserved.
"""DAVIS 2017 semi-supervised J & F (official ``davis2017-evaluation``).

* J (region similarity): per frame ``|G & S| / |G | S|``, and 1 when both
  masks are empty; void pixels are removed from both.
* F (contour accuracy): boundaries by ``seg2bmap``; a boundary pixel of one
  mask is matched when it lies within ``ceil(0.008 * image diagonal)`` px of
  the other mask's boundary (dilation with a ``skimage.morphology.disk``);
  ``F = 2PR / (P + R)`` with the official conventions for empty boundaries.
* Per object and sequence: mean ``M``, recall ``O = mean(values > 0.5)`` and
  decay ``D = mean(first quarter) - mean(last quarter)``, the quarters cut
  by ``round(linspace(1, N, 5) + 1e-10) - 1``. The first and the last
  frame of every sequence are excluded.
* Dataset scores are the means over all objects of all sequences;
  ``J&F-Mean = (J-Mean + F-Mean) / 2``.
"""
import math
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np
from skimage.morphology import disk


def db_eval_iou(annotation: np.ndarray,
                segmentation: np.ndarray,
                void_pixels: Optional[np.ndarray] = None) -> np.ndarray:
    """Region similarity J.

    Args:
        annotation (np.ndarray): Ground-truth masks (H, W) or (N, H, W).
        segmentation (np.ndarray): Predicted masks of the same shape.
        void_pixels (np.ndarray, optional): Void mask of the same shape.

    Returns:
        np.ndarray | float: J per frame (scalar for a single frame).
    """
    annotation = np.asarray(annotation).astype(bool)
    segmentation = np.asarray(segmentation).astype(bool)
    if annotation.shape != segmentation.shape:
        raise ValueError(f'db_eval_iou: annotation shape {annotation.shape} '
                         f'!= segmentation shape {segmentation.shape}')
    if void_pixels is not None:
        void_pixels = np.asarray(void_pixels).astype(bool)
        if void_pixels.shape != annotation.shape:
            raise ValueError(f'db_eval_iou: void shape {void_pixels.shape} '
                             f'!= annotation shape {annotation.shape}')
        annotation = annotation & ~void_pixels
        segmentation = segmentation & ~void_pixels
    inters = np.sum(segmentation & annotation, axis=(-2, -1))
    union = np.sum(segmentation | annotation, axis=(-2, -1))
    j = np.where(union > 0, inters / np.maximum(union, 1), 1.0)
    return j if j.ndim else float(j)


def seg2bmap(seg: np.ndarray) -> np.ndarray:
    """Boundary map of a binary mask (DAVIS ``_seg2bmap`` at full size).

    A pixel is a boundary pixel when it differs from its east, south or
    south-east neighbour; the last row / column only compare along the
    border and the bottom-right pixel is never a boundary.

    Args:
        seg (np.ndarray): (H, W) mask.

    Returns:
        np.ndarray: (H, W) bool boundary map.
    """
    seg = np.asarray(seg).astype(bool)
    if seg.ndim != 2:
        raise ValueError(f'seg2bmap expects a (H, W) mask, got {seg.shape}')
    e = np.zeros_like(seg)
    s = np.zeros_like(seg)
    se = np.zeros_like(seg)
    e[:, :-1] = seg[:, 1:]
    s[:-1, :] = seg[1:, :]
    se[:-1, :-1] = seg[1:, 1:]
    b = seg ^ e | seg ^ s | seg ^ se
    b[-1, :] = seg[-1, :] ^ e[-1, :]
    b[:, -1] = seg[:, -1] ^ s[:, -1]
    b[-1, -1] = False
    return b


def f_measure(foreground_mask: np.ndarray,
              gt_mask: np.ndarray,
              void_pixels: Optional[np.ndarray] = None,
              bound_th: float = 0.008) -> float:
    """Boundary F-measure of one frame.

    Args:
        foreground_mask (np.ndarray): (H, W) predicted mask.
        gt_mask (np.ndarray): (H, W) ground-truth mask.
        void_pixels (np.ndarray, optional): (H, W) void mask.
        bound_th (float): Tolerance, a fraction of the image diagonal when
            ``< 1`` else pixels. Defaults to 0.008.

    Returns:
        float: F in ``[0, 1]``.
    """
    foreground_mask = np.asarray(foreground_mask).astype(bool)
    gt_mask = np.asarray(gt_mask).astype(bool)
    if foreground_mask.shape != gt_mask.shape or gt_mask.ndim != 2:
        raise ValueError('f_measure expects two (H, W) masks of one shape, '
                         f'got {foreground_mask.shape} and {gt_mask.shape}')
    if void_pixels is None:
        void_pixels = np.zeros_like(gt_mask)
    void_pixels = np.asarray(void_pixels).astype(bool)
    bound_pix = bound_th if bound_th >= 1 else math.ceil(
        bound_th * np.linalg.norm(foreground_mask.shape))
    fg_boundary = seg2bmap(foreground_mask & ~void_pixels)
    gt_boundary = seg2bmap(gt_mask & ~void_pixels)
    kernel = disk(bound_pix).astype(np.uint8)
    fg_dil = cv2.dilate(fg_boundary.astype(np.uint8), kernel) > 0
    gt_dil = cv2.dilate(gt_boundary.astype(np.uint8), kernel) > 0
    n_fg, n_gt = int(fg_boundary.sum()), int(gt_boundary.sum())
    if n_fg == 0 and n_gt > 0:
        precision, recall = 1.0, 0.0
    elif n_fg > 0 and n_gt == 0:
        precision, recall = 0.0, 1.0
    elif n_fg == 0 and n_gt == 0:
        precision, recall = 1.0, 1.0
    else:
        precision = np.sum(fg_boundary & gt_dil) / n_fg
        recall = np.sum(gt_boundary & fg_dil) / n_gt
    if precision + recall == 0:
        return 0.0
    return float(2 * precision * recall / (precision + recall))


def db_eval_boundary(annotation: np.ndarray,
                     segmentation: np.ndarray,
                     void_pixels: Optional[np.ndarray] = None,
                     bound_th: float = 0.008) -> np.ndarray:
    """F per frame of (N, H, W) masks (or a float for (H, W))."""
    annotation = np.asarray(annotation)
    segmentation = np.asarray(segmentation)
    if annotation.shape != segmentation.shape:
        raise ValueError('db_eval_boundary: annotation shape '
                         f'{annotation.shape} != segmentation shape '
                         f'{segmentation.shape}')
    if annotation.ndim == 2:
        return f_measure(segmentation, annotation, void_pixels, bound_th)
    voids = [None] * len(annotation) if void_pixels is None else void_pixels
    return np.array([
        f_measure(s, a, v, bound_th)
        for s, a, v in zip(segmentation, annotation, voids)
    ])


def db_statistics(per_frame_values: np.ndarray) -> Tuple[float, float, float]:
    """Mean, recall (> 0.5) and decay of per-frame J or F values."""
    values = np.asarray(per_frame_values, dtype=np.float64).reshape(-1)
    if len(values) == 0:
        raise ValueError('db_statistics needs at least one frame')
    mean = float(np.nanmean(values))
    recall = float(np.nanmean(values > 0.5))
    n_bins = 4
    ids = (np.round(np.linspace(1, len(values), n_bins + 1) + 1e-10) -
           1).astype(np.int64)
    bins = [values[ids[i]:ids[i + 1] + 1] for i in range(n_bins)]
    decay = float(np.nanmean(bins[0]) - np.nanmean(bins[3]))
    return mean, recall, decay


def eval_davis(gt_masks: Sequence[np.ndarray],
               pred_masks: Sequence[np.ndarray],
               void_masks: Optional[Sequence[np.ndarray]] = None,
               bound_th: float = 0.008) -> Dict[str, float]:
    """DAVIS J & F over objects.

    Args:
        gt_masks (Sequence[np.ndarray]): Per object track, (N, H, W) masks
            of all frames (first and last included; they are dropped here).
        pred_masks (Sequence[np.ndarray]): Per object track, (N, H, W).
        void_masks (Sequence[np.ndarray], optional): Per track (N, H, W).
        bound_th (float): Boundary tolerance. Defaults to 0.008.

    Returns:
        dict: ``J&F-Mean``, ``J-Mean``, ``J-Recall``, ``J-Decay``,
        ``F-Mean``, ``F-Recall``, ``F-Decay`` (fractions).
    """
    if len(gt_masks) != len(pred_masks) or len(gt_masks) == 0:
        raise ValueError('eval_davis needs the same, non-zero number of gt '
                         f'and predicted tracks, got {len(gt_masks)} and '
                         f'{len(pred_masks)}')
    stats = {k: [] for k in ('J', 'F')}
    for i, (gt, pred) in enumerate(zip(gt_masks, pred_masks)):
        gt, pred = np.asarray(gt), np.asarray(pred)
        if gt.shape != pred.shape or gt.ndim != 3:
            raise ValueError(f'eval_davis: track {i} gt {gt.shape} and '
                             f'prediction {pred.shape} must be one (N, H, W)')
        if len(gt) < 3:
            raise ValueError(f'eval_davis: track {i} has {len(gt)} frames; '
                             'DAVIS drops the first and last, so >= 3 are '
                             'needed')
        void = None if void_masks is None else np.asarray(
            void_masks[i])[1:-1]
        j = db_eval_iou(gt[1:-1], pred[1:-1], void)
        f = db_eval_boundary(gt[1:-1], pred[1:-1], void, bound_th)
        stats['J'].append(db_statistics(j))
        stats['F'].append(db_statistics(f))
    out = {}
    for k in ('J', 'F'):
        arr = np.array(stats[k])
        out[f'{k}-Mean'] = float(arr[:, 0].mean())
        out[f'{k}-Recall'] = float(arr[:, 1].mean())
        out[f'{k}-Decay'] = float(arr[:, 2].mean())
    out['J&F-Mean'] = (out['J-Mean'] + out['F-Mean']) / 2
    return out
