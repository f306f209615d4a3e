# Copyright (c) mmtao contributors. All rights reserved.
"""VOT long-term (VOT2018-LT / LTB35) tracking precision, recall, F-score.

Definitions of the VOT toolkit (``vot/analysis/longterm.py``,
``vot/region/raster.py``), reproduced on the regions of its result files:

* every frame is scored, the initialisation frame included: there the
  result file holds the special region ``1`` (empty) and the confidence file
  an empty line (confidence 0); the frame counts as visible.
* overlap is computed on the pixel grid (:func:`vot_overlaps`): each
  rectangle's ``x, y, w, h`` is stored as float32 and rounded half to even,
  it covers the pixels ``x … x + w - 1`` by ``y … y + h - 1``, clipped to the
  image; overlap = shared pixels / pixels of either. Two quirks of the
  toolkit are kept: when the bounding extent of both regions is at most one
  pixel wide or high (in particular two empty regions: a ``nan`` ground
  truth and an empty prediction) the overlap is 1, and when that extent
  clipped to the image is at most one pixel wide or high it is 0.
* thresholds: all confidences of all sequences sorted in decreasing order;
  with more than ``resolution - 2`` of them, ``resolution - 2`` are picked at
  ``round(linspace(delta, n - delta))`` with ``delta = floor(n /
  (resolution - 2))``; ``+inf`` and ``-inf`` are added at the ends.
* per sequence and threshold ``tau``, with ``S = {t: conf_t >= tau}``:
  ``Pr = mean_{t in S} O_t`` (1 when S is empty) and
  ``Re = sum_{t in S} O_t / #frames with a ground-truth box`` (0 when S is
  empty).
* Pr and Re are averaged over sequences; ``F = 2 Pr Re / (Pr + Re)``; the
  reported Pr, Re, F are those at the threshold of maximal F.
"""
import math
from typing import Dict, List, Sequence, Tuple

import numpy as np


def determine_thresholds(scores: np.ndarray,
                         resolution: int = 100) -> np.ndarray:
    """Confidence thresholds of the VOT toolkit (decreasing, with ±inf)."""
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    scores = np.sort(scores[~np.isnan(scores)])[::-1]
    if len(scores) > resolution - 2:
        delta = math.floor(len(scores) / (resolution - 2))
        idxs = np.round(
            np.linspace(delta, len(scores) - delta,
                        num=resolution - 2)).astype(np.int64)
        scores = scores[idxs]
    return np.r_[np.inf, scores, -np.inf]


def pr_re_curves(overlaps: np.ndarray, scores: np.ndarray, num_visible: int,
                 thresholds: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Per-sequence precision and recall at each threshold.

    Args:
        overlaps (np.ndarray): (N, ) overlap per frame.
        scores (np.ndarray): (N, ) confidences (NaN is never selected).
        num_visible (int): Frames with a ground-truth box.
        thresholds (np.ndarray): (T, ) thresholds.

    Returns:
        tuple[np.ndarray, np.ndarray]: precision and recall, each (T, ).
    """
    pr = np.ones(len(thresholds))
    re = np.zeros(len(thresholds))
    for i, thr in enumerate(thresholds):
        subset = scores >= thr
        if subset.any():
            pr[i] = overlaps[subset].mean()
            re[i] = overlaps[subset].sum() / num_visible \
                if num_visible > 0 else 0.
    return pr, re


def vot_overlaps(regions1: np.ndarray, regions2: np.ndarray,
                 bound: Tuple[int, int]) -> np.ndarray:
    """Frame-wise overlap of VOT regions on the pixel grid of the image.

    Args:
        regions1 (np.ndarray): (N, 4) ``x, y, w, h`` rectangles; a NaN row
            is an empty (special) region such as ``nan,nan,nan,nan`` or the
            initialisation code ``1``.
        regions2 (np.ndarray): (N, 4), the same.
        bound (tuple): Image ``(width, height)``; pixels outside are not
            counted.

    Returns:
        np.ndarray: (N, ) overlaps in [0, 1] (see the module docstring for
        the two toolkit rules on degenerate extents).
    """
    rects, empties, extents = [], [], []
    for regions in (regions1, regions2):
        r = np.asarray(regions, dtype=np.float64).reshape(-1, 4)
        empty = ~np.isfinite(r).all(1)
        # the toolkit keeps rectangles as float32 and rounds half to even
        r = np.round(np.where(empty[:, None], 0, r).astype(np.float32))
        r = r.astype(np.float64)
        # pixel extent (left, top, right, bottom), inclusive; special
        # regions have the extent (0, 0, 0, 0) and no pixels
        ext = np.stack([r[:, 0], r[:, 1], r[:, 0] + r[:, 2] - 1,
                        r[:, 1] + r[:, 3] - 1], 1)
        ext[empty] = 0
        rects.append(ext)
        empties.append(empty)
    if len(rects[0]) != len(rects[1]):
        raise ValueError(f'vot_overlaps: {len(rects[0])} vs '
                         f'{len(rects[1])} regions')
    a, b = rects
    union = np.concatenate([np.minimum(a[:, :2], b[:, :2]),
                            np.maximum(a[:, 2:], b[:, 2:])], 1)
    raster = np.stack([
        np.maximum(union[:, 0], 0), np.maximum(union[:, 1], 0),
        np.minimum(union[:, 2], bound[0] - 1),
        np.minimum(union[:, 3], bound[1] - 1)
    ], 1)

    def pixels(ext: np.ndarray) -> np.ndarray:
        # pixels of an extent inside the raster window
        w = np.minimum(ext[:, 2], raster[:, 2]) - np.maximum(
            ext[:, 0], raster[:, 0]) + 1
        h = np.minimum(ext[:, 3], raster[:, 3]) - np.maximum(
            ext[:, 1], raster[:, 1]) + 1
        return np.clip(w, 0, None) * np.clip(h, 0, None)

    area_a = np.where(empties[0], 0, pixels(a))
    area_b = np.where(empties[1], 0, pixels(b))
    both = np.concatenate([np.maximum(a[:, :2], b[:, :2]),
                           np.minimum(a[:, 2:], b[:, 2:])], 1)
    inter = np.where(empties[0] | empties[1], 0, pixels(both))
    total = area_a + area_b - inter
    with np.errstate(invalid='ignore', divide='ignore'):
        out = np.where(total > 0, inter / np.where(total > 0, total, 1), 0.)
    out[(raster[:, 0] >= raster[:, 2]) | (raster[:, 1] >= raster[:, 3])] = 0
    out[(union[:, 0] >= union[:, 2]) | (union[:, 1] >= union[:, 3])] = 1
    return out


def eval_vot_lt(pred_bboxes: Sequence[np.ndarray],
                pred_scores: Sequence[np.ndarray],
                gt_bboxes: Sequence[np.ndarray],
                image_sizes: Sequence[Tuple[int, int]],
                resolution: int = 100,
                first_is_init: bool = True) -> Dict:
    """Tracking precision / recall / F-score (VOT-LT), as the VOT toolkit
    computes them on result files holding these regions and confidences.

    Args:
        pred_bboxes (Sequence[np.ndarray]): Per sequence (N_v, 4) ``x, y, w,
            h`` as in the result file (NaN rows = empty regions).
        pred_scores (Sequence[np.ndarray]): Per sequence (N_v, ) confidence
            (NaN = no value).
        gt_bboxes (Sequence[np.ndarray]): Per sequence (N_v, 4) ``x, y, w,
            h``, NaN where the target is absent.
        image_sizes (Sequence[tuple]): Per sequence ``(width, height)``.
        resolution (int): Number of thresholds. Defaults to 100.
        first_is_init (bool): Frame 0 is the initialisation frame: scored as
            the toolkit scores it (empty region, confidence 0) whatever
            ``pred_bboxes[0]`` / ``pred_scores[0]`` hold. Defaults to True.

    Returns:
        dict: ``precision``, ``recall``, ``f_score`` (at the best threshold),
        ``threshold`` and the curves ``pr_curve``, ``re_curve``, ``f_curve``,
        ``thresholds``.
    """
    n = len(pred_bboxes)
    if n == 0 or not (len(pred_scores) == len(gt_bboxes) == len(image_sizes)
                      == n):
        raise ValueError('eval_vot_lt: needs at least one sequence and one '
                         'entry per sequence in every argument')
    seqs: List[Tuple[np.ndarray, np.ndarray, int]] = []
    for pb, ps, gb, size in zip(pred_bboxes, pred_scores, gt_bboxes,
                                image_sizes):
        pb = np.array(pb, dtype=np.float64).reshape(-1, 4)
        gb = np.asarray(gb, dtype=np.float64).reshape(-1, 4)
        ps = np.array(ps, dtype=np.float64).reshape(-1)
        if not len(pb) == len(gb) == len(ps):
            raise ValueError('eval_vot_lt: boxes and scores of a sequence '
                             'differ in length')
        if first_is_init and len(pb):
            pb[0] = np.nan
            ps[0] = 0.
        num_visible = int(np.isfinite(gb).all(1).sum())
        seqs.append((vot_overlaps(pb, gb, size), ps, num_visible))
    thresholds = determine_thresholds(
        np.concatenate([s[1] for s in seqs]), resolution)
    pr = np.zeros(len(thresholds))
    re = np.zeros(len(thresholds))
    for ov, ps, nv in seqs:
        p, r = pr_re_curves(ov, ps, nv, thresholds)
        pr += p
        re += r
    pr, re = pr / n, re / n
    with np.errstate(invalid='ignore', divide='ignore'):
        f = np.where(pr + re > 0, 2 * pr * re / np.where(pr + re > 0,
                                                         pr + re, 1), 0.)
    best = int(np.argmax(f))
    return dict(
        precision=float(pr[best]),
        recall=float(re[best]),
        f_score=float(f[best]),
        threshold=float(thresholds[best]),
        pr_curve=pr,
        re_curve=re,
        f_curve=f,
        thresholds=thresholds)
