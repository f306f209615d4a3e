# Copyright (c) mmtao contributors. All rights reserved.
"""GOT-10k evaluation with the official toolkit's semantics.

``got10k.experiments.ExperimentGOT10k.report`` on the val split:

* IoUs are computed on ``x, y, w, h`` boxes of frames ``1..N-1`` (the first,
  initialisation frame is excluded), both boxes clipped to the image bound
  the way ``got10k.utils.metrics.rect_iou`` clips them (``x`` to ``[0, W]``,
  then ``w`` to ``[0, W - x]``; same for y / h), with
  ``IoU = inter / (union + eps)`` clipped to ``[0, 1]``.
* Only frames whose ``cover`` label is ``> 0`` (target visible) are kept.
* The IoUs of all sequences are concatenated: AO is their mean and
  SR@t the fraction strictly greater than ``t`` (frame-weighted over the
  whole split, not a mean of per-sequence values). The success curve uses
  101 thresholds ``linspace(0, 1, 101)`` with strict ``>``.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

SUCCESS_THRS = np.linspace(0, 1, 101)


def xyxy_to_xywh(bboxes: np.ndarray) -> np.ndarray:
    """(N, 4) ``x1, y1, x2, y2`` to ``x, y, w, h`` (``w = x2 - x1``)."""
    bboxes = np.asarray(bboxes, dtype=np.float64).reshape(-1, 4)
    return np.concatenate([bboxes[:, :2], bboxes[:, 2:] - bboxes[:, :2]], 1)


def got10k_rect_iou(rects1: np.ndarray,
                    rects2: np.ndarray,
                    bound: Optional[Tuple[float, float]] = None) -> np.ndarray:
    """IoU of aligned ``x, y, w, h`` boxes as GOT-10k's ``rect_iou``.

    Args:
        rects1 (np.ndarray): Boxes of shape (N, 4), ``x, y, w, h``.
        rects2 (np.ndarray): Boxes of shape (N, 4), ``x, y, w, h``.
        bound (tuple[float, float], optional): Image ``(width, height)``.

    Returns:
        np.ndarray: IoUs of shape (N, ) in ``[0, 1]``.
    """
    r1 = np.array(rects1, dtype=np.float64).reshape(-1, 4)
    r2 = np.array(rects2, dtype=np.float64).reshape(-1, 4)
    if r1.shape != r2.shape:
        raise ValueError(f'got10k_rect_iou: shapes {r1.shape} and {r2.shape} '
                         'differ')
    if bound is not None:
        for r in (r1, r2):
            r[:, 0] = np.clip(r[:, 0], 0, bound[0])
            r[:, 1] = np.clip(r[:, 1], 0, bound[1])
            r[:, 2] = np.clip(r[:, 2], 0, bound[0] - r[:, 0])
            r[:, 3] = np.clip(r[:, 3], 0, bound[1] - r[:, 1])
    x1 = np.maximum(r1[:, 0], r2[:, 0])
    y1 = np.maximum(r1[:, 1], r2[:, 1])
    x2 = np.minimum(r1[:, 0] + r1[:, 2], r2[:, 0] + r2[:, 2])
    y2 = np.minimum(r1[:, 1] + r1[:, 3], r2[:, 1] + r2[:, 3])
    inter = np.maximum(x2 - x1, 0) * np.maximum(y2 - y1, 0)
    union = r1[:, 2] * r1[:, 3] + r2[:, 2] * r2[:, 3] - inter
    ious = inter / (union + np.finfo(float).eps)
    return np.clip(ious, 0.0, 1.0)


def eval_got10k(results: Sequence[np.ndarray],
                annotations: Sequence[np.ndarray],
                visible_infos: Sequence[np.ndarray],
                image_sizes: Optional[Sequence[Tuple[int, int]]] = None,
                video_names: Optional[List[str]] = None) -> Dict:
    """GOT-10k AO / SR0.5 / SR0.75.

    Args:
        results (Sequence[np.ndarray]): Per video, predicted boxes (N_v, 4)
            in xyxy, frame 0 included.
        annotations (Sequence[np.ndarray]): Per video, ground truth (N_v, 4)
            in xyxy.
        visible_infos (Sequence[np.ndarray]): Per video, bool (N_v, ), the
            ``cover > 0`` flags.
        image_sizes (Sequence[tuple], optional): Per video ``(width,
            height)`` used as the clipping bound. None disables clipping.
        video_names (List[str], optional): Names for messages and the
            per-sequence table.

    Returns:
        dict: ``AO``, ``SR0.5``, ``SR0.75`` (fractions in ``[0, 1]``),
        ``succ_curve`` (101, ), ``num_frames`` and ``seq_wise`` (name ->
        dict(ao, sr50, sr75, num_frames)). When no frame is evaluable the
        scores are NaN.
    """
    if not (len(results) == len(annotations) == len(visible_infos)):
        raise ValueError('eval_got10k: results, annotations and visible_infos '
                         'must have one entry per video, got '
                         f'{len(results)}, {len(annotations)}, '
                         f'{len(visible_infos)}')
    all_ious, seq_wise = [], {}
    for i, (pred, gt, vis) in enumerate(
            zip(results, annotations, visible_infos)):
        name = video_names[i] if video_names else f'video {i}'
        pred = np.asarray(pred, dtype=np.float64).reshape(-1, 4)
        gt = np.asarray(gt, dtype=np.float64).reshape(-1, 4)
        vis = np.asarray(vis, dtype=bool).reshape(-1)
        if not (len(pred) == len(gt) == len(vis)) or len(pred) == 0:
            raise ValueError(f'{name}: {len(pred)} predicted boxes, '
                             f'{len(gt)} ground-truth boxes and {len(vis)} '
                             'visible flags; expected the same non-zero '
                             'number of frames')
        if not np.isfinite(pred).all():
            raise ValueError(f'{name}: predictions contain NaN/inf')
        keep = vis[1:]
        nan_rows = np.flatnonzero(np.isnan(gt).any(1) & vis)
        nan_rows = nan_rows[nan_rows > 0]
        if len(nan_rows):
            # the official toolkit would return NaN for the whole benchmark
            raise ValueError(
                f'{name}: frame {nan_rows[0]} (line {nan_rows[0] + 1} of its '
                'groundtruth.txt) is visible but has a NaN ground-truth box')
        bound = image_sizes[i] if image_sizes is not None else None
        ious = got10k_rect_iou(
            xyxy_to_xywh(pred[1:][keep]), xyxy_to_xywh(gt[1:][keep]), bound)
        all_ious.append(ious)
        seq_wise[name] = _summarise(ious)
    ious = np.concatenate(all_ious) if all_ious else np.zeros(0)
    out = _summarise(ious)
    out['succ_curve'] = (
        np.mean(ious[:, None] > SUCCESS_THRS[None], axis=0)
        if len(ious) else np.full(len(SUCCESS_THRS), np.nan))
    out['seq_wise'] = seq_wise
    return out


def _summarise(ious: np.ndarray) -> Dict:
    if len(ious) == 0:
        return {'AO': np.nan, 'SR0.5': np.nan, 'SR0.75': np.nan,
                'num_frames': 0}
    return {
        'AO': float(np.mean(ious)),
        'SR0.5': float(np.mean(ious > 0.5)),
        'SR0.75': float(np.mean(ious > 0.75)),
        'num_frames': int(len(ious))
    }
