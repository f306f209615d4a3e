# Copyright (c) mmtao contributors. All rights reserved.
from typing import Optional, Tuple

import torch
from mmdet.structures.bbox import bbox_overlaps
from torch import Tensor

from mmtao.registry import MODELS


@MODELS.register_module()
class TemporalSmoother:
    """The temporal heuristic of Sec. 4.2 of "Learning to Track Any Object".

    Every frame the detector proposes ``k`` candidates with confidences
    ``c_i``. While the smoother is *enabled* they are re-scored by
    ``c_i <- alpha * c_i + (1 - alpha) * j_i`` where ``j_i`` is the mask IoU
    (box IoU when no masks are given) of candidate ``i`` with the previous
    track; the candidate with the highest (re-)score becomes the track.

    To avoid latching onto distractors the re-scoring is switched off when
    the track breaks, i.e. the overlap between the previous and the new
    track location is ``< low_iou``; it is switched on again after
    ``recover_frames`` consecutive frames whose overlap with the previous
    location is ``> recover_iou``. The location overlap is the same measure
    as ``j`` (mask IoU with masks, else box IoU) of the chosen candidate.

    State machine, updated at the end of every :meth:`select`:

    * enabled and ``j* < low_iou`` -> disabled, counter = 0;
    * disabled: counter = counter + 1 if ``j* > recover_iou`` else 0; when
      the counter reaches ``recover_frames`` -> enabled (from the next
      frame on), counter = 0.

    Args:
        alpha (float): Weight of the detector confidence. Defaults to 0.6.
        low_iou (float): Break threshold ``alpha_low``. Defaults to 0.1.
        recover_iou (float): Smoothness threshold ``alpha_recover``.
            Defaults to 0.3.
        recover_frames (int): Smooth frames ``n`` needed to re-enable.
            Defaults to 30.
    """

    def __init__(self,
                 alpha: float = 0.6,
                 low_iou: float = 0.1,
                 recover_iou: float = 0.3,
                 recover_frames: int = 30) -> None:
        if not 0 <= alpha <= 1:
            raise ValueError(f'TemporalSmoother: alpha must be in [0, 1], '
                             f'got {alpha}')
        if recover_frames < 1:
            raise ValueError('TemporalSmoother: recover_frames must be >= 1, '
                             f'got {recover_frames}')
        self.alpha = alpha
        self.low_iou = low_iou
        self.recover_iou = recover_iou
        self.recover_frames = int(recover_frames)
        self.prev_bbox: Optional[Tensor] = None
        self.prev_mask: Optional[Tensor] = None
        self.enabled = True
        self.smooth_count = 0

    def reset(self, bbox: Tensor, mask: Optional[Tensor] = None) -> None:
        """Start a new track at the initialisation box (frame 0).

        Args:
            bbox (Tensor): Box of shape (4, ) xyxy.
            mask (Tensor, optional): Bool mask of shape (H, W).
        """
        bbox = torch.as_tensor(bbox)
        if bbox.numel() != 4:
            raise ValueError('TemporalSmoother.reset: bbox must have 4 '
                             f'values (xyxy), got shape {tuple(bbox.shape)}')
        if mask is not None and torch.as_tensor(mask).dim() != 2:
            raise ValueError('TemporalSmoother.reset: mask must be (H, W), '
                             f'got shape {tuple(torch.as_tensor(mask).shape)}')
        self.prev_bbox = bbox.reshape(4).float()
        self.prev_mask = None if mask is None else torch.as_tensor(
            mask).bool()
        self.enabled = True
        self.smooth_count = 0

    def overlaps(self, bboxes: Tensor,
                 masks: Optional[Tensor] = None) -> Tensor:
        """Overlap of every candidate with the previous track.

        Args:
            bboxes (Tensor): (k, 4) xyxy candidates.
            masks (Tensor, optional): (k, H, W) bool candidate masks.

        Returns:
            Tensor: (k, ) mask IoU when both the candidates and the previous
            track have masks, else box IoU.
        """
        if masks is not None and self.prev_mask is not None:
            masks = masks.bool()
            if masks.shape[1:] != self.prev_mask.shape:
                raise ValueError(
                    'TemporalSmoother: candidate masks of shape '
                    f'{tuple(masks.shape)} do not match the previous '
                    f'track mask {tuple(self.prev_mask.shape)}')
            prev = self.prev_mask.to(masks.device)
            # the intersection only where the previous mask is on (its
            # extent), the union from the areas: one pass over the frames
            extent, area = self._prev_extent()
            if extent is not None:
                y1, y2, x1, x2 = extent
                inter = (masks[:, y1:y2, x1:x2] & prev[y1:y2, x1:x2]).flatten(
                    1).sum(1).float()
            else:
                inter = masks.new_zeros(len(masks), dtype=torch.float32)
            union = masks.flatten(1).sum(1).float() + area - inter
            return torch.where(union > 0, inter / union.clamp(min=1),
                               torch.zeros_like(union))
        return bbox_overlaps(
            bboxes.float(), self.prev_bbox.to(bboxes.device)[None])[:, 0]

    def _prev_extent(self) -> Tuple[Optional[Tuple[int, int, int, int]],
                                    float]:
        """``((y1, y2, x1, x2), area)`` of the previous mask's on pixels
        (extent None when it is empty), kept until the mask changes."""
        key = id(self.prev_mask)
        if getattr(self, '_extent_of', (None, ))[0] != key:
            prev = self.prev_mask
            rows = prev.any(1).nonzero()[:, 0]
            cols = prev.any(0).nonzero()[:, 0]
            extent = (int(rows[0]), int(rows[-1]) + 1, int(cols[0]),
                      int(cols[-1]) + 1) if len(rows) else None
            # the mask object is kept too, so that its id is not reused
            self._extent_of = (key, extent, float(prev.sum()), prev)
        return self._extent_of[1], self._extent_of[2]

    def select(self,
               bboxes: Tensor,
               scores: Tensor,
               masks: Optional[Tensor] = None) -> Tuple[int, Tensor]:
        """Choose the track among this frame's candidates.

        Args:
            bboxes (Tensor): (k, 4) xyxy candidates, k >= 1.
            scores (Tensor): (k, ) detector confidences.
            masks (Tensor, optional): (k, H, W) bool candidate masks.

        Returns:
            tuple[int, Tensor]: The chosen index and the (re-scored)
            confidences of shape (k, ) (unchanged while disabled).
        """
        if self.prev_bbox is None:
            raise RuntimeError('TemporalSmoother.select called before reset '
                               '(call reset with the init box on frame 0)')
        if bboxes.dim() != 2 or bboxes.shape[-1] != 4 or len(bboxes) == 0:
            raise ValueError('TemporalSmoother.select: bboxes must be (k, 4) '
                             f'with k >= 1, got {tuple(bboxes.shape)}')
        if scores.shape != (len(bboxes), ):
            raise ValueError(f'TemporalSmoother.select: scores of shape '
                             f'{tuple(scores.shape)} do not match '
                             f'{len(bboxes)} boxes')
        if masks is not None and masks.shape[0] != len(bboxes):
            raise ValueError(f'TemporalSmoother.select: {masks.shape[0]} '
                             f'masks for {len(bboxes)} boxes')
        ious = self.overlaps(bboxes, masks)
        if self.enabled:
            new_scores = self.alpha * scores + (1 - self.alpha) * ious.to(
                scores.dtype)
        else:
            new_scores = scores.clone()
        idx = int(torch.argmax(new_scores))
        self._update_state(float(ious[idx]))
        self.prev_bbox = bboxes[idx].detach().reshape(4).float()
        if masks is not None:
            self.prev_mask = masks[idx].detach().bool()
        return idx, new_scores

    def rescore(self,
                bboxes: Tensor,
                scores: Tensor,
                masks: Optional[Tensor] = None,
                overlaps: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """The re-scores of :meth:`select` without choosing (no state
        change), for a caller that chooses across objects; then
        :meth:`commit` the choice.

        Args:
            overlaps (Tensor, optional): (k, ) the candidates' overlaps with
                the previous track when the caller has them (e.g. 0 where
                a candidate's box is apart from the track's: its mask is
                then not needed); else :meth:`overlaps` computes them.

        Returns:
            tuple[Tensor, Tensor]: Re-scored confidences (k, ) and the
            overlaps (k, ) with the previous track.
        """
        if self.prev_bbox is None:
            raise RuntimeError('TemporalSmoother.rescore called before reset')
        ious = self.overlaps(bboxes, masks) if overlaps is None else overlaps
        if self.enabled:
            return self.alpha * scores + (1 - self.alpha) * ious.to(
                scores.dtype), ious
        return scores.clone(), ious

    def commit(self, bbox: Tensor, location_iou: float,
               mask: Optional[Tensor] = None) -> None:
        """Take ``bbox`` (its overlap from :meth:`rescore`) as the track:
        the state update of :meth:`select`."""
        self._update_state(float(location_iou))
        self.prev_bbox = bbox.detach().reshape(4).float()
        if mask is not None:
            self.prev_mask = mask.detach().bool()

    def rivals(self, bboxes: Tensor, scores: Tensor, first: int,
               first_mask: Optional[Tensor] = None) -> Tensor:
        """The candidates that :meth:`select` could prefer to ``first``.

        For a caller that computes candidate masks on demand: with the mask
        of ``first`` (the highest detector confidence) known, a candidate
        whose re-score could not beat it even at overlap 1 cannot be
        chosen, so :meth:`select` on ``first`` and the rivals (in index
        order) chooses as it would on all candidates.

        Args:
            bboxes (Tensor): (k, 4) xyxy candidates.
            scores (Tensor): (k, ) detector confidences.
            first (int): ``scores.argmax()``.
            first_mask (Tensor, optional): (H, W) mask of candidate
                ``first``.

        Returns:
            Tensor: Indices (ascending, without ``first``) of the rivals:
            none while disabled (the top confidence wins), all others
            without masks (box overlaps need no masks).
        """
        inds = torch.arange(len(scores), device=scores.device)
        if not self.enabled:
            return inds[:0]
        if first_mask is None or self.prev_mask is None:
            return inds[inds != first]
        first_iou = self.overlaps(bboxes[first:first + 1],
                                  first_mask[None])[0]
        # the re-scores of select() with overlap 1 for all but first (an
        # upper bound: the same float operations, monotonic in the overlap)
        ious = torch.ones_like(scores)
        ious[first] = first_iou.to(scores.dtype)
        bound = self.alpha * scores + (1 - self.alpha) * ious
        best = bound[first]
        # argmax keeps the first maximum: an equal bound wins before first
        rival = (bound > best) | ((bound == best) & (inds < first))
        rival[first] = False
        return inds[rival]

    def _update_state(self, location_iou: float) -> None:
        if self.enabled:
            if location_iou < self.low_iou:
                self.enabled = False
                self.smooth_count = 0
        else:
            self.smooth_count = (self.smooth_count + 1
                                 if location_iou > self.recover_iou else 0)
            if self.smooth_count >= self.recover_frames:
                self.enabled = True
                self.smooth_count = 0

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(alpha={self.alpha}, '
                f'low_iou={self.low_iou}, recover_iou={self.recover_iou}, '
                f'recover_frames={self.recover_frames})')
