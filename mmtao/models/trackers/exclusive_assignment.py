# Copyright (c) mmtao contributors. All rights reserved.
from typing import List, Optional

import numpy as np
import torch
from mmdet.structures.bbox import bbox_overlaps
from scipy.optimize import linear_sum_assignment
from torch import Tensor


def exclusive_assignment(bboxes: List[Tensor],
                         scores: List[Tensor],
                         iou_thr: float = 0.5) -> List[Optional[int]]:
    """One object per track: choose a candidate per object so that no two
    objects take the same place, maximising the summed scores.

    The candidates of all objects are grouped into *places* greedily in
    score order (a candidate joins the first place whose leading box it
    overlaps with IoU >= ``iou_thr``); each object's value of a place is
    its best score there; SciPy's ``linear_sum_assignment`` gives each
    object a different place (or none, when fewer places than objects are
    left for it), and its best candidate in that place.

    Args:
        bboxes (list[Tensor]): Per object, (k_i, 4) xyxy candidates.
        scores (list[Tensor]): Per object, (k_i, ) scores (higher better).
        iou_thr (float): Overlap that makes two candidates one place.

    Returns:
        list[int | None]: Per object, the index of its chosen candidate, or
        None.
    """
    num = len(bboxes)
    objs = [k for k in range(num) if len(bboxes[k])]
    if not objs:
        return [None] * num
    boxes = torch.cat([bboxes[k].float() for k in objs])
    vals = torch.cat([scores[k].float() for k in objs]).cpu()
    owner = torch.cat([
        torch.full((len(bboxes[k]), ), k, dtype=torch.long) for k in objs
    ])
    local = torch.cat([torch.arange(len(bboxes[k])) for k in objs])
    ious = bbox_overlaps(boxes, boxes).cpu()
    place = torch.full((len(boxes), ), -1, dtype=torch.long)
    leaders: List[int] = []
    for i in torch.argsort(vals, descending=True, stable=True).tolist():
        for p, lead in enumerate(leaders):
            if ious[i, lead] >= iou_thr:
                place[i] = p
                break
        else:
            place[i] = len(leaders)
            leaders.append(i)
    num_places = len(leaders)
    value = np.full((num, num_places), -np.inf)
    best = np.full((num, num_places), -1, dtype=np.int64)
    for i in range(len(boxes)):
        k, p, v = int(owner[i]), int(place[i]), float(vals[i])
        if v > value[k, p]:
            value[k, p], best[k, p] = v, int(local[i])
    # each object's own best place; distinct places need no solve
    own = [int(np.argmax(value[k])) if k in objs else -1 for k in range(num)]
    taken = [p for p in own if p >= 0]
    if len(set(taken)) == len(taken):
        return [int(best[k, p]) if p >= 0 else None
                for k, p in enumerate(own)]
    # maximise the sum; a missing (object, place) pair must never be chosen
    # while the object has a free place, so it costs more than any sum
    finite = value[np.isfinite(value)]
    big = (np.abs(finite).sum() + 1) * 2
    cost = np.where(np.isfinite(value), -value, big)
    rows, cols = linear_sum_assignment(cost)
    out: List[Optional[int]] = [None] * num
    for k, p in zip(rows.tolist(), cols.tolist()):
        if np.isfinite(value[k, p]):
            out[k] = int(best[k, p])
    return out


def greedy_assignment(bboxes: List[Tensor],
                      scores: List[Tensor],
                      iou_thr: float = 0.5) -> List[Optional[int]]:
    """One object per track, the most confident first: (object, candidate)
    pairs in score order; a pair is taken when its object has none yet and
    its box overlaps no taken box with IoU >= ``iou_thr``. An object is
    never moved off a place by a less confident one (the sum of
    :func:`exclusive_assignment` can move it when it has a second place).

    Args and returns: as :func:`exclusive_assignment`.
    """
    num = len(bboxes)
    objs = [k for k in range(num) if len(bboxes[k])]
    out: List[Optional[int]] = [None] * num
    if not objs:
        return out
    boxes = torch.cat([bboxes[k].float() for k in objs])
    vals = torch.cat([scores[k].float() for k in objs]).cpu()
    owner = torch.cat([
        torch.full((len(bboxes[k]), ), k, dtype=torch.long) for k in objs
    ]).tolist()
    local = torch.cat([torch.arange(len(bboxes[k])) for k in objs]).tolist()
    ious = bbox_overlaps(boxes, boxes).cpu()
    taken: List[int] = []
    for i in torch.argsort(vals, descending=True, stable=True).tolist():
        if out[owner[i]] is not None:
            continue
        if all(float(ious[i, j]) < iou_thr for j in taken):
            out[owner[i]] = local[i]
            taken.append(i)
    return out
