# Copyright (c) mmtao contributors. All rights reserved.
import math
from typing import List, Sequence

import torch
from mmdet.structures.bbox import bbox_overlaps
from mmengine.structures import InstanceData
from torch import Tensor

from mmtao.registry import MODELS


@MODELS.register_module()
class BoxConvention:
    """The user's box convention for an object, read off the first frame.

    A detector boxes an object by the extent it was trained on; the person
    who drew the first box had their own (a head from the hairline or from
    the top of the hair, a cyclist with or without the bicycle). A tracker
    that re-detects every frame reports the detector's extent from frame 2
    on, so every later box differs from what the user asked for by the same
    margin (real-video heads come out at ~0.8 of the drawn size). On the
    first frame both are known: the drawn box and the detector's box of the
    same object (its most confident candidate overlapping the drawn box).
    Their offset, in the candidate's own units

    ``dx = (cx_u - cx_d) / w_d``, ``dy = (cy_u - cy_d) / h_d``,
    ``sw = log(w_u / w_d)``, ``sh = log(h_u / h_d)``,

    is kept per object and applied to every box the tracker chooses later
    (``cx + dx w``, ``w exp(sw)``, ...), bounded by ``max_shift`` and
    ``max_scale`` so that a first frame where the detector saw something
    else cannot deform the track much. Without a candidate of IoU
    ``>= min_iou`` with the drawn box the offset is zero (the detector's
    boxes as they are).

    Where the drawn box *is* the detector's convention (a box from the same
    kind of masks the model was trained on), the first-frame offset is only
    that frame's detection error, and applying it to every frame costs
    accuracy. ``tolerance`` soft-thresholds each component
    (``sign(v) max(|v| - tolerance, 0)``): offsets within a detection's
    usual error are dropped, larger ones are kept less that amount.

    Args:
        min_iou (float): IoU with the drawn box a first-frame candidate needs
            to stand for the object. Defaults to 0.5.
        max_scale (float): Bound of the width / height factors (and of their
            inverses). Defaults to 1.5.
        max_shift (float): Bound of the centre shifts, in candidate sizes.
            Defaults to 0.25.
        tolerance (float): Soft threshold of every component (shifts in
            candidate sizes, scales in log units). Defaults to 0.
    """

    def __init__(self,
                 min_iou: float = 0.5,
                 max_scale: float = 1.5,
                 max_shift: float = 0.25,
                 tolerance: float = 0.) -> None:
        if not 0 < min_iou <= 1:
            raise ValueError(f'BoxConvention: min_iou must be in (0, 1], got '
                             f'{min_iou}')
        if max_scale < 1 or max_shift < 0 or tolerance < 0:
            raise ValueError('BoxConvention: need max_scale >= 1, max_shift '
                             f'>= 0 and tolerance >= 0, got {max_scale}, '
                             f'{max_shift}, {tolerance}')
        self.min_iou = float(min_iou)
        self.max_scale = float(max_scale)
        self.max_shift = float(max_shift)
        self.tolerance = float(tolerance)

    def fit(self, bboxes: Tensor, candidates: List[InstanceData],
            frame_shape: Sequence[int]) -> Tensor:
        """Offsets of drawn boxes from the detector's boxes of them.

        Args:
            bboxes (Tensor): (n, 4) drawn xyxy boxes, frame pixels.
            candidates (list[:obj:`InstanceData`]): Per box, the model's
                candidates on the same frame (``bboxes``, ``scores``, frame
                pixels).
            frame_shape (Sequence[int]): (H, W) of the frame (drawn boxes
                are clipped to it, as candidates are).

        Returns:
            Tensor: (n, 4) offsets ``(dx, dy, sw, sh)``, zero for a box
            without a matching candidate.
        """
        h, w = frame_shape[:2]
        drawn = bboxes.detach().float().cpu().clone()
        drawn[:, 0::2] = drawn[:, 0::2].clamp(0, w)
        drawn[:, 1::2] = drawn[:, 1::2].clamp(0, h)
        out = torch.zeros(len(drawn), 4)
        for k, cands in enumerate(candidates):
            if len(cands) == 0:
                continue
            boxes = cands.bboxes.detach().float().cpu()
            ious = bbox_overlaps(drawn[k:k + 1], boxes)[0]
            ok = ious >= self.min_iou
            if not bool(ok.any()):
                continue
            scores = cands.scores.detach().float().cpu()
            j = int(torch.where(ok, scores, scores.new_tensor(-1.)).argmax())
            out[k] = self._offset(drawn[k], boxes[j])
        return out

    def _offset(self, drawn: Tensor, det: Tensor) -> Tensor:
        dw, dh = (det[2] - det[0]).clamp(min=1.), (det[3] - det[1]).clamp(
            min=1.)
        uw, uh = (drawn[2] - drawn[0]).clamp(min=1.), (drawn[3] -
                                                       drawn[1]).clamp(min=1.)
        dx = ((drawn[0] + drawn[2]) - (det[0] + det[2])) / 2 / dw
        dy = ((drawn[1] + drawn[3]) - (det[1] + det[3])) / 2 / dh
        s, m = math.log(self.max_scale), self.max_shift
        raw = torch.stack([dx, dy, (uw / dw).log(), (uh / dh).log()])
        raw = raw.sign() * (raw.abs() - self.tolerance).clamp(min=0)
        bound = raw.new_tensor([m, m, s, s])
        return torch.maximum(torch.minimum(raw, bound), -bound)

    @staticmethod
    def apply(bboxes: Tensor, offsets: Tensor,
              frame_shape: Sequence[int]) -> Tensor:
        """Detector boxes -> the user's convention.

        Args:
            bboxes (Tensor): (n, 4) xyxy boxes chosen by the tracker.
            offsets (Tensor): (n, 4) offsets of :meth:`fit`.
            frame_shape (Sequence[int]): (H, W): results are clipped to it.

        Returns:
            Tensor: (n, 4) boxes, dtype and device of ``bboxes``.
        """
        b = bboxes.float()
        o = offsets.to(b)
        w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
        cx = (b[:, 0] + b[:, 2]) / 2 + o[:, 0] * w
        cy = (b[:, 1] + b[:, 3]) / 2 + o[:, 1] * h
        w, h = w * o[:, 2].exp(), h * o[:, 3].exp()
        out = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)
        fh, fw = frame_shape[:2]
        out[:, 0::2] = out[:, 0::2].clamp(0, fw)
        out[:, 1::2] = out[:, 1::2].clamp(0, fh)
        return out.to(bboxes.dtype)
