# Copyright (c) mmtao contributors. All rights reserved.
"""OxUvA long-term tracking evaluation (official ``oxuva/assess.py``).

Per annotated frame, with the ground truth present / absent and the tracker
reporting present / absent (present iff its score ``>= score_thr``):

* TP: gt present, prediction present and ``IoU >= 0.5`` (boxes clipped to
  the image, as ``iou_clip`` clips normalised boxes to the unit square);
* FN: gt present and not TP (reported absent, or wrong place);
* TN: gt absent, reported absent;  FP: gt absent, reported present.

TPR = TP / (TP + FN), TNR = TN / (TN + FP) over all frames of all tracks
(counts summed first). ``MaxGM`` is the largest geometric mean
``sqrt(TPR' * TNR')`` on the segment from ``(TNR, TPR)`` to the
always-absent point ``(1, 0)`` (``max_geometric_mean_line``): a tracker can
reach any point of that segment by randomly reporting absent.

``tpr_fpr_curve`` traces the operating points obtained by sweeping the
score threshold (``posthoc_threshold`` in ``assess.py``) and
``roc_auc`` is the area under TPR vs FPR, the metric of the paper's
ablation (Table 1).
"""
import math
from typing import Dict, Sequence, Tuple

import numpy as np


def clipped_iou(bboxes1: np.ndarray, bboxes2: np.ndarray,
                bound: Tuple[float, float]) -> np.ndarray:
    """IoU of aligned xyxy boxes after clipping both to ``[0,W]x[0,H]``.

    Args:
        bboxes1 (np.ndarray): (N, 4) xyxy.
        bboxes2 (np.ndarray): (N, 4) xyxy.
        bound (tuple): Image ``(width, height)``.

    Returns:
        np.ndarray: (N, ) IoU; 0 when the union is empty.
    """
    b1 = np.asarray(bboxes1, dtype=np.float64).reshape(-1, 4).copy()
    b2 = np.asarray(bboxes2, dtype=np.float64).reshape(-1, 4).copy()
    for b in (b1, b2):
        b[:, 0::2] = np.clip(b[:, 0::2], 0, bound[0])
        b[:, 1::2] = np.clip(b[:, 1::2], 0, bound[1])

    def vol(b):
        # Inverted rectangles count as empty, as in assess.py.
        return np.maximum(b[:, 2] - b[:, 0], 0) * np.maximum(
            b[:, 3] - b[:, 1], 0)

    inter = vol(
        np.stack([
            np.maximum(b1[:, 0], b2[:, 0]),
            np.maximum(b1[:, 1], b2[:, 1]),
            np.minimum(b1[:, 2], b2[:, 2]),
            np.minimum(b1[:, 3], b2[:, 3])
        ], 1))
    union = vol(b1) + vol(b2) - inter
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.)


def assess_frames(pred_bboxes: np.ndarray,
                  pred_present: np.ndarray,
                  gt_bboxes: np.ndarray,
                  gt_present: np.ndarray,
                  bound: Tuple[float, float],
                  iou_thr: float = 0.5) -> Dict[str, np.ndarray]:
    """Per-frame TP / FN / TN / FP flags of one track.

    Args:
        pred_bboxes (np.ndarray): (N, 4) xyxy predictions (ignored where
            ``pred_present`` is False; may be NaN there).
        pred_present (np.ndarray): (N, ) bool, tracker reports present.
        gt_bboxes (np.ndarray): (N, 4) xyxy ground truth (ignored where
            ``gt_present`` is False).
        gt_present (np.ndarray): (N, ) bool.
        bound (tuple): Image ``(width, height)``.
        iou_thr (float): IoU needed for a TP. Defaults to 0.5.

    Returns:
        dict: bool arrays ``TP``, ``FN``, ``TN``, ``FP`` of shape (N, ) and
        ``correct`` (present, IoU >= thr, regardless of ``pred_present``).
    """
    pred_present = np.asarray(pred_present, dtype=bool).reshape(-1)
    gt_present = np.asarray(gt_present, dtype=bool).reshape(-1)
    n = len(gt_present)
    pred_bboxes = np.asarray(pred_bboxes, dtype=np.float64).reshape(-1, 4)
    gt_bboxes = np.asarray(gt_bboxes, dtype=np.float64).reshape(-1, 4)
    if not (len(pred_present) == len(pred_bboxes) == len(gt_bboxes) == n):
        raise ValueError('assess_frames: pred_bboxes, pred_present, '
                         'gt_bboxes and gt_present must have one row per '
                         f'frame, got {len(pred_bboxes)}, '
                         f'{len(pred_present)}, {len(gt_bboxes)}, {n}')
    both = gt_present & np.isfinite(pred_bboxes).all(1)
    if np.isnan(gt_bboxes[gt_present]).any():
        raise ValueError('assess_frames: a frame marked present has a NaN '
                         'ground-truth box')
    correct = np.zeros(n, dtype=bool)
    if both.any():
        correct[both] = clipped_iou(pred_bboxes[both], gt_bboxes[both],
                                    bound) >= iou_thr
    tp = gt_present & pred_present & correct
    return dict(
        TP=tp,
        FN=gt_present & ~tp,
        TN=~gt_present & ~pred_present,
        FP=~gt_present & pred_present,
        correct=correct)


def max_geometric_mean_line(x1: float, y1: float, x2: float,
                            y2: float) -> float:
    """Max of ``sqrt(x * y)`` on the segment ``(x1, y1)`` - ``(x2, y2)``.

    ``x * y`` along ``(1 - t) * p1 + t * p2`` is the quadratic
    ``a t^2 + b t + c`` with ``a = (x1 - x2)(y1 - y2)`` and
    ``b = -y1 (x1 - x2) - x1 (y1 - y2)``; its maximum on ``[0, 1]`` is at an
    end point or, when concave, at ``-b / 2a``.
    """
    a = (x1 - x2) * (y1 - y2)
    b = -y1 * (x1 - x2) - x1 * (y1 - y2)
    candidates = [0.0, 1.0]
    if a < 0:
        t_star = -b / (2 * a)
        if 0 <= t_star <= 1:
            candidates.append(t_star)
    return max(
        math.sqrt(max(((1 - t) * x1 + t * x2) * ((1 - t) * y1 + t * y2), 0.))
        for t in candidates)


def oxuva_quality(tp: int, fn: int, tn: int, fp: int) -> Dict[str, float]:
    """TPR, TNR, GM and MaxGM from summed counts (``quality_metrics``).

    A rate whose denominator is 0 is NaN (as in assess.py), and so are the
    scores depending on it.
    """
    tpr = tp / (tp + fn) if tp + fn > 0 else float('nan')
    tnr = tn / (tn + fp) if tn + fp > 0 else float('nan')
    if math.isnan(tpr) or math.isnan(tnr):
        gm = max_gm = float('nan')
    else:
        gm = math.sqrt(tpr * tnr)
        max_gm = max_geometric_mean_line(tnr, tpr, 1., 0.)
    return dict(TPR=tpr, TNR=tnr, GM=gm, MaxGM=max_gm)


def tpr_fpr_curve(scores: np.ndarray, correct: np.ndarray,
                  gt_present: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Operating points of a score-thresholded tracker.

    Every frame's prediction is reported present iff its score ``>= thr``.
    Starting from "all absent" (TPR = FPR = 0), frames are switched to
    present in decreasing score order, one block of equal scores at a time.

    Args:
        scores (np.ndarray): (N, ) presence scores of all frames.
        correct (np.ndarray): (N, ) bool, gt present and IoU >= thr.
        gt_present (np.ndarray): (N, ) bool.

    Returns:
        tuple[np.ndarray, np.ndarray]: FPR and TPR of shape (U + 1, ), U the
        number of distinct scores. NaN rates when there are no absent
        (FPR) or present (TPR) frames.
    """
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    correct = np.asarray(correct, dtype=bool).reshape(-1)
    gt_present = np.asarray(gt_present, dtype=bool).reshape(-1)
    if np.isnan(scores).any():
        raise ValueError('tpr_fpr_curve: a presence score is NaN')
    num_pos, num_neg = gt_present.sum(), (~gt_present).sum()
    order = np.argsort(-scores, kind='stable')
    s = scores[order]
    tp = np.cumsum((correct & gt_present)[order])
    fp = np.cumsum((~gt_present)[order])
    # last index of every block of equal scores
    ends = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1] if len(s) else []
    tp = np.r_[0, tp[ends]]
    fp = np.r_[0, fp[ends]]
    with np.errstate(invalid='ignore', divide='ignore'):
        tpr = tp / num_pos if num_pos else np.full(len(tp), np.nan)
        fpr = fp / num_neg if num_neg else np.full(len(fp), np.nan)
    return fpr, tpr


def roc_auc(fpr: np.ndarray, tpr: np.ndarray) -> float:
    """Trapezoidal area under TPR(FPR); NaN if either rate is undefined."""
    if np.isnan(fpr).any() or np.isnan(tpr).any():
        return float('nan')
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def eval_oxuva(pred_bboxes: Sequence[np.ndarray],
               pred_scores: Sequence[np.ndarray],
               gt_bboxes: Sequence[np.ndarray],
               gt_present: Sequence[np.ndarray],
               image_sizes: Sequence[Tuple[int, int]],
               score_thr: float = 0.5,
               iou_thr: float = 0.5,
               skip_first: bool = True) -> Dict[str, float]:
    """OxUvA TPR / TNR / GM / MaxGM at ``score_thr`` and ROC AUC.

    Args:
        pred_bboxes (Sequence[np.ndarray]): Per track (N_v, 4) xyxy.
        pred_scores (Sequence[np.ndarray]): Per track (N_v, ) presence
            scores; reported present iff ``score >= score_thr``.
        gt_bboxes (Sequence[np.ndarray]): Per track (N_v, 4) xyxy (NaN when
            absent).
        gt_present (Sequence[np.ndarray]): Per track (N_v, ) bool.
        image_sizes (Sequence[tuple]): Per track image ``(width, height)``.
        score_thr (float): Presence threshold. Defaults to 0.5.
        iou_thr (float): IoU for a TP. Defaults to 0.5.
        skip_first (bool): Drop frame 0 (the initialisation frame is not
            assessed). Defaults to True.

    Returns:
        dict: ``TPR``, ``TNR``, ``GM``, ``MaxGM``, ``AUC`` (fractions), and
        the summed counts ``TP``, ``FN``, ``TN``, ``FP``.
    """
    n = len(pred_bboxes)
    if not (len(pred_scores) == len(gt_bboxes) == len(gt_present) ==
            len(image_sizes) == n):
        raise ValueError('eval_oxuva: every argument needs one entry per '
                         'track')
    start = 1 if skip_first else 0
    counts = dict(TP=0, FN=0, TN=0, FP=0)
    all_scores, all_correct, all_present = [], [], []
    for pb, ps, gb, gp, size in zip(pred_bboxes, pred_scores, gt_bboxes,
                                    gt_present, image_sizes):
        ps = np.asarray(ps, dtype=np.float64).reshape(-1)[start:]
        gp = np.asarray(gp, dtype=bool).reshape(-1)[start:]
        ass = assess_frames(
            np.asarray(pb).reshape(-1, 4)[start:], ps >= score_thr,
            np.asarray(gb).reshape(-1, 4)[start:], gp, size, iou_thr)
        for k in counts:
            counts[k] += int(ass[k].sum())
        all_scores.append(ps)
        all_correct.append(ass['correct'])
        all_present.append(gp)
    out = oxuva_quality(counts['TP'], counts['FN'], counts['TN'],
                        counts['FP'])
    fpr, tpr = tpr_fpr_curve(
        np.concatenate(all_scores) if all_scores else np.zeros(0),
        np.concatenate(all_correct) if all_correct else np.zeros(0, bool),
        np.concatenate(all_present) if all_present else np.zeros(0, bool))
    out['AUC'] = roc_auc(fpr, tpr)
    out.update(counts)
    return out
