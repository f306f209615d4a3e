# Copyright (c) mmtao contributors. All rights reserved.
"""VOT long-term (VOT2018-LT / LTB35) tracking precision, recall, F-score.

Definitions of the VOT toolkit (``vot/analysis/longterm.py``):

* thresholds: all confidences of all sequences sorted in decreasing order;
  with more than ``resolution - 2`` of them, ``resolution - 2`` are picked at
  ``round(linspace(delta, n - delta))`` with ``delta = floor(n /
  (resolution - 2))``; ``+inf`` and ``-inf`` are added at the ends.
* per sequence and threshold ``tau``, with ``S = {t: conf_t >= tau}`` the
  frames where the tracker reports the target and ``O_t`` the (bounded)
  overlap, 0 when the target is absent:
  ``Pr = mean_{t in S} O_t`` (1 when S is empty) and
  ``Re = sum_{t in S} O_t / #visible frames`` (0 when S is empty).
* Pr and Re are averaged over sequences; ``F = 2 Pr Re / (Pr + Re)``; the
  reported Pr, Re, F are those at the threshold of maximal F.
"""
import math
from typing import Dict, List, Sequence, Tuple

import numpy as np

from .eval_oxuva import clipped_iou


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
        overlaps (np.ndarray): (N, ) overlap per frame, 0 where the target
            is absent.
        scores (np.ndarray): (N, ) confidences.
        num_visible (int): Frames where the target is present.
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


def eval_vot_lt(pred_bboxes: Sequence[np.ndarray],
                pred_scores: Sequence[np.ndarray],
                gt_bboxes: Sequence[np.ndarray],
                gt_present: Sequence[np.ndarray],
                image_sizes: Sequence[Tuple[int, int]],
                resolution: int = 100,
                skip_first: bool = True) -> Dict:
    """Tracking precision / recall / F-score (VOT-LT).

    Args:
        pred_bboxes (Sequence[np.ndarray]): Per sequence (N_v, 4) xyxy.
        pred_scores (Sequence[np.ndarray]): Per sequence (N_v, ) confidence.
        gt_bboxes (Sequence[np.ndarray]): Per sequence (N_v, 4) xyxy, NaN
            where absent.
        gt_present (Sequence[np.ndarray]): Per sequence (N_v, ) bool.
        image_sizes (Sequence[tuple]): Per sequence ``(width, height)``, the
            bound overlaps are computed in.
        resolution (int): Number of thresholds. Defaults to 100.
        skip_first (bool): Drop the initialisation frame. Defaults to True.

    Returns:
        dict: ``precision``, ``recall``, ``f_score`` (at the best threshold),
        ``threshold`` and the curves ``pr_curve``, ``re_curve``, ``f_curve``,
        ``thresholds``.
    """
    n = len(pred_bboxes)
    if n == 0 or not (len(pred_scores) == len(gt_bboxes) == len(gt_present)
                      == len(image_sizes) == n):
        raise ValueError('eval_vot_lt: needs at least one sequence and one '
                         'entry per sequence in every argument')
    start = 1 if skip_first else 0
    seqs: List[Tuple[np.ndarray, np.ndarray, int]] = []
    for pb, ps, gb, gp, size in zip(pred_bboxes, pred_scores, gt_bboxes,
                                    gt_present, image_sizes):
        pb = np.asarray(pb, dtype=np.float64).reshape(-1, 4)[start:]
        gb = np.asarray(gb, dtype=np.float64).reshape(-1, 4)[start:]
        ps = np.asarray(ps, dtype=np.float64).reshape(-1)[start:]
        gp = np.asarray(gp, dtype=bool).reshape(-1)[start:]
        if not (len(pb) == len(gb) == len(ps) == len(gp)):
            raise ValueError('eval_vot_lt: boxes, scores and present flags '
                             'of a sequence differ in length')
        if np.isnan(gb[gp]).any():
            raise ValueError('eval_vot_lt: a present frame has a NaN '
                             'ground-truth box')
        ov = np.zeros(len(gp))
        ok = gp & np.isfinite(pb).all(1)
        if ok.any():
            ov[ok] = clipped_iou(pb[ok], gb[ok], size)
        seqs.append((ov, ps, int(gp.sum())))
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
