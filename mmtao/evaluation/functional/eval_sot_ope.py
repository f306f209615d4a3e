# Copyright (c) mmtao contributors. All rights reserved.
"""One-pass evaluation (OPE) for OTB100 / LaSOT / TrackingNet / UAV123.

The semantics follow MMTracking 1.x ``eval_sot_ope`` exactly:

* success: for each of the 21 IoU thresholds ``0:0.05:1`` the fraction of
  frames whose IoU is **strictly** greater than the threshold; the success
  score (AUC) is the mean of that curve, averaged over videos.
* precision: fraction of frames whose centre error is ``<=`` the pixel
  threshold (0..50 px); reported at 20 px.
* normalised precision: the same on centres divided by the ground-truth
  width / height; thresholds ``0:0.01:0.5``, reported at 0.2.
* The denominator is always the **full video length**. Frames whose ground
  truth has no area (or is NaN) get IoU ``-1`` and therefore never count as a
  success; with ``only_eval_visible=True`` invisible frames are dropped from
  the numerator but not from the denominator, i.e. they count as failures.
* A frame whose ground-truth centre is not strictly positive (e.g. an
  all-zero or NaN box that is kept because ``only_eval_visible=False``) gets
  centre error ``-1`` which is ``<=`` every threshold: MMTracking (and
  pysot) count it as *precise*. This quirk is kept for comparability.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmdet.evaluation.functional import bbox_overlaps

IOU_THRS = np.arange(0, 1.05, 0.05)
PIXEL_THRS = np.arange(0, 51, 1)


def aligned_bbox_overlaps(bboxes1: np.ndarray,
                          bboxes2: np.ndarray,
                          chunk: int = 256) -> np.ndarray:
    """IoU of row ``i`` of ``bboxes1`` with row ``i`` of ``bboxes2``.

    Uses mmdet's numpy ``bbox_overlaps`` block-wise (the diagonal of each
    ``chunk x chunk`` block), so long videos do not build an ``N x N`` matrix.

    Args:
        bboxes1 (np.ndarray): Boxes of shape (N, 4) in xyxy.
        bboxes2 (np.ndarray): Boxes of shape (N, 4) in xyxy.
        chunk (int): Block size. Defaults to 256.

    Returns:
        np.ndarray: IoUs of shape (N, ), float32.
    """
    if bboxes1.shape != bboxes2.shape:
        raise ValueError('aligned_bbox_overlaps expects two (N, 4) arrays of '
                         f'the same shape, got {bboxes1.shape} and '
                         f'{bboxes2.shape}')
    ious = np.zeros(len(bboxes1), dtype=np.float32)
    for start in range(0, len(bboxes1), chunk):
        block = bbox_overlaps(bboxes1[start:start + chunk],
                              bboxes2[start:start + chunk])
        ious[start:start + chunk] = np.diag(block)
    return ious


def success_overlap(gt_bboxes: np.ndarray, pred_bboxes: np.ndarray,
                    iou_th: np.ndarray, video_length: int) -> np.ndarray:
    """Success rate at each IoU threshold (strict ``>``).

    Args:
        gt_bboxes (np.ndarray): Ground truth of shape (n, 4), xyxy.
        pred_bboxes (np.ndarray): Predictions of shape (n, 4), xyxy.
        iou_th (np.ndarray): IoU thresholds of shape (T, ).
        video_length (int): Denominator (number of frames of the video).

    Returns:
        np.ndarray: Success rates of shape (T, ).
    """
    iou = np.full(len(gt_bboxes), -1, dtype=np.float64)
    # NaN boxes compare False, so they are invalid too.
    valid = (gt_bboxes[:, 2] > gt_bboxes[:, 0]) & (
        gt_bboxes[:, 3] > gt_bboxes[:, 1])
    if valid.any():
        iou[valid] = aligned_bbox_overlaps(gt_bboxes[valid],
                                           pred_bboxes[valid])
    return np.array([np.sum(iou > th) for th in iou_th]) / float(video_length)


def success_error(gt_centers: np.ndarray, pred_centers: np.ndarray,
                  pixel_offset_th: np.ndarray,
                  video_length: int) -> np.ndarray:
    """Precision at each centre-distance threshold (``<=``).

    Args:
        gt_centers (np.ndarray): Ground-truth centres of shape (n, 2).
        pred_centers (np.ndarray): Predicted centres of shape (n, 2).
        pixel_offset_th (np.ndarray): Distance thresholds of shape (T, ).
        video_length (int): Denominator (number of frames of the video).

    Returns:
        np.ndarray: Precision of shape (T, ).
    """
    dist = np.full(len(gt_centers), -1, dtype=np.float64)
    valid = (gt_centers[:, 0] > 0) & (gt_centers[:, 1] > 0)
    dist[valid] = np.sqrt(
        np.sum((gt_centers[valid] - pred_centers[valid])**2, axis=1))
    return np.array([np.sum(dist <= th)
                     for th in pixel_offset_th]) / float(video_length)


def _check_video(pred: np.ndarray, gt: np.ndarray, name: str) -> None:
    if pred.ndim != 2 or pred.shape[1] != 4:
        raise ValueError(f'{name}: predictions must have shape (N, 4) xyxy, '
                         f'got {pred.shape}')
    if gt.shape != pred.shape:
        raise ValueError(f'{name}: ground truth shape {gt.shape} does not '
                         f'match predictions {pred.shape} (one box per '
                         'frame expected)')
    if len(pred) == 0:
        raise ValueError(f'{name}: empty video (no frames)')
    if not np.isfinite(pred).all():
        raise ValueError(f'{name}: predictions contain NaN/inf; every frame '
                         'needs a predicted box')


def eval_sot_ope(results: Sequence[np.ndarray],
                 annotations: Sequence[np.ndarray],
                 visible_infos: Optional[Sequence[np.ndarray]] = None,
                 video_names: Optional[List[str]] = None
                 ) -> Dict[str, np.ndarray]:
    """Evaluate the OPE protocol.

    Args:
        results (Sequence[np.ndarray]): Per video, predicted boxes of shape
            (N_v, 4) in xyxy, one per frame (frame 0 included).
        annotations (Sequence[np.ndarray]): Per video, ground-truth boxes of
            shape (N_v, 4) in xyxy (NaN rows for frames without a box).
        visible_infos (Sequence[np.ndarray], optional): Per video, bool
            visibility of shape (N_v, ). If given, invisible frames are
            excluded from the numerators (``only_eval_visible``).
        video_names (List[str], optional): Used in error messages.

    Returns:
        dict: ``success``, ``precision``, ``norm_precision`` (percent), and
        the per-video curves ``success_curve`` (V, 21), ``precision_curve``
        (V, 51), ``norm_precision_curve`` (V, 51) in percent.
    """
    if len(results) != len(annotations):
        raise ValueError(f'eval_sot_ope got {len(results)} result videos but '
                         f'{len(annotations)} annotated videos')
    if len(results) == 0:
        raise ValueError('eval_sot_ope needs at least one video')
    if visible_infos is None:
        visible_infos = [np.ones(len(a), dtype=bool) for a in annotations]
    succ, prec, norm_prec = [], [], []
    for i, (pred, gt, vis) in enumerate(
            zip(results, annotations, visible_infos)):
        name = video_names[i] if video_names else f'video {i}'
        pred = np.asarray(pred, dtype=np.float64).reshape(-1, 4)
        gt = np.asarray(gt, dtype=np.float64).reshape(-1, 4)
        vis = np.asarray(vis, dtype=bool)
        _check_video(pred, gt, name)
        if vis.shape != (len(gt), ):
            raise ValueError(f'{name}: visible flags of shape {vis.shape} do '
                             f'not match {len(gt)} frames')
        video_length = len(pred)
        gt, pred = gt[vis], pred[vis]

        succ.append(success_overlap(gt, pred, IOU_THRS, video_length))

        gt_c = np.stack([(gt[:, 0] + gt[:, 2]) / 2, (gt[:, 1] + gt[:, 3]) / 2],
                        axis=1)
        pred_c = np.stack(
            [(pred[:, 0] + pred[:, 2]) / 2, (pred[:, 1] + pred[:, 3]) / 2],
            axis=1)
        prec.append(success_error(gt_c, pred_c, PIXEL_THRS, video_length))

        gt_wh = np.stack([gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1]], axis=1)
        with np.errstate(invalid='ignore'):
            norm_prec.append(
                success_error(gt_c / (gt_wh + 1e-16),
                              pred_c / (gt_wh + 1e-16), PIXEL_THRS / 100.,
                              video_length))
    succ, prec, norm_prec = np.stack(succ), np.stack(prec), np.stack(norm_prec)
    return dict(
        success=float(np.mean(succ) * 100),
        precision=float(np.mean(prec, axis=0)[20] * 100),
        norm_precision=float(np.mean(norm_prec, axis=0)[20] * 100),
        success_curve=succ * 100,
        precision_curve=prec * 100,
        norm_precision_curve=norm_prec * 100)
