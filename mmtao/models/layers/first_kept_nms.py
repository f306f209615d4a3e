# Copyright (c) mmtao contributors. All rights reserved.
from typing import Tuple

import torch
from mmcv.ops import batched_nms
from mmcv.ops.nms import NMSop
from torch import Tensor


def first_kept_batched_nms(boxes: Tensor,
                           scores: Tensor,
                           idxs: Tensor,
                           nms_cfg: dict,
                           max_num: int,
                           prefix_factor: int = 3) -> Tuple[Tensor, Tensor]:
    """The first ``max_num`` boxes that mmcv's ``batched_nms`` keeps.

    Greedy NMS decides every box from the higher-scored boxes it kept, so
    the first ``max_num`` kept boxes are found among the top-scored ones:
    NMS runs on the top ``prefix_factor * max_num`` boxes first and on all
    boxes only when that keeps fewer than ``max_num``. The boxes are offset
    per ``idxs`` exactly as ``batched_nms`` offsets them (from the maximum
    coordinate of all boxes), so mmcv's kernel computes the same IoUs and
    keeps the same boxes as ``batched_nms(...)[:max_num]`` (up to the order
    of equal scores, which neither sort fixes). Other NMS configs (another
    type, ``offset``, ``score_threshold``, ``max_num``, ``class_agnostic``,
    ``split_thr``) and ``max_num <= 0`` run ``batched_nms`` itself.

    Args:
        boxes (Tensor): (n, 4) xyxy.
        scores (Tensor): (n, ).
        idxs (Tensor): (n, ) groups that do not suppress each other (levels
            of an RPN, classes).
        nms_cfg (dict): mmcv's ``nms_cfg`` (``type``, ``iou_threshold``).
        max_num (int): Boxes wanted; <= 0 for all.
        prefix_factor (int): The first pass sees ``prefix_factor *
            max_num`` boxes. Defaults to 3.

    Returns:
        tuple[Tensor]: ``dets`` (m, 5) kept boxes with their scores and
        ``keep`` (m, ) their indices, by descending score, m <= max_num.
    """
    cfg = dict(nms_cfg)
    if (max_num <= 0 or cfg.pop('type', 'nms') != 'nms'
            or set(cfg) != {'iou_threshold'}
            or not 0 < boxes.size(0) < 10000):
        dets, keep = batched_nms(boxes, scores, idxs, nms_cfg)
        if max_num > 0:
            dets, keep = dets[:max_num], keep[:max_num]
        return dets, keep
    # batched_nms's offsets, from the maximum of all boxes
    offsets = idxs.to(boxes) * (boxes.max() + torch.tensor(1).to(boxes))
    boxes_for_nms = boxes + offsets[:, None]
    keep = None
    num_prefix = prefix_factor * max_num
    # mmcv's nms() op itself (what mmcv.ops.nms runs, without its argument
    # inspection and the dets it builds): the kept indices by score
    iou = float(cfg['iou_threshold'])
    if num_prefix < boxes.size(0):
        top = scores.topk(num_prefix).indices
        inds = NMSop.apply(boxes_for_nms[top], scores[top], iou, 0, 0, -1)
        if inds.numel() >= max_num:
            keep = top[inds[:max_num]]
    if keep is None:
        inds = NMSop.apply(boxes_for_nms, scores, iou, 0, 0, -1)
        keep = inds[:max_num]
    return torch.cat([boxes[keep], scores[keep, None]], -1), keep
