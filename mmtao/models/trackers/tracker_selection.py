# Copyright (c) mmtao contributors. All rights reserved.
import copy
from typing import Callable, List, Optional, Tuple

import torch
from mmdet.structures.bbox import bbox_overlaps
from mmengine.structures import InstanceData
from torch import Tensor

from .exclusive_assignment import exclusive_assignment, greedy_assignment
from .tracker_parts import build_part


class SelectionMixin:
    """The per-frame choice of :class:`SOTTracker`: per object the
    candidate of highest (motion-weighted, temporally re-scored)
    confidence, with the masks computed only for the candidates the choice
    needs; with ``exclusive`` and two or more objects, one place per
    object (:func:`exclusive_assignment` over each object's
    ``assignment_top`` best candidates, re-scored by its smoother)."""

    def _new_motion(self, box: Tensor):
        """A motion prior started at ``box`` (None without one)."""
        if self.motion_cfg is None:
            return None
        motion = build_part(self.motion_cfg, 'MotionPrior')
        motion.reset(box)
        return motion

    def motion_factors(self, candidates: List[InstanceData]
                       ) -> Optional[List[Optional[Tensor]]]:
        """Per object the motion prior's factors (k, ) of its candidates
        (None for an object without a prior), or None without priors."""
        if self.motion_cfg is None:
            return None
        return [
            None if m is None or len(c) == 0 else m.factor(c.bboxes)
            for m, c in zip(self.motions, candidates)
        ]

    def update_motions(self, bboxes: Tensor, scores: Tensor) -> None:
        """After a frame: tracks of detector confidence >= ``motion_gate``
        move their priors; the others count one more frame lost."""
        for k, motion in enumerate(self.motions):
            if motion is not None:
                motion.update(bboxes[k], float(scores[k]) >= self.motion_gate)

    def chosen_box(self, k: int, box: Tensor) -> Tensor:
        """Object ``k``'s chosen candidate box (4, ) as reported: in the
        drawn box's convention with a :class:`BoxConvention`."""
        if self.box_offsets is None:
            return box
        return self.convention.apply(box[None], self.box_offsets[k:k + 1],
                                     self.frame_shape)[0]

    def select(self,
               candidates: List[InstanceData],
               masks: Optional[Callable] = None,
               factors: Optional[List[Optional[Tensor]]] = None
               ) -> InstanceData:
        """Choose each object's track among its candidates.

        Args:
            candidates (list[:obj:`InstanceData`]): Per object, its
                candidates (``bboxes``, ``scores``, optionally ``masks``),
                in original image coordinates.
            masks (callable, optional): ``masks(obj_inds, cand_inds)`` ->
                (n, H, W) masks of those candidates, when the candidates
                carry none (``predict_candidates(..., lazy_masks=True)``).
                Then only the masks the choice needs are computed, in two
                batched calls: the top-confidence candidate of every object,
                then the candidates that could still out-score it under the
                smoother's re-scoring (:meth:`TemporalSmoother.rivals`); the
                choice is the one made on all candidates' masks.
            factors (list[Tensor | None], optional): Per object, factors
                (k, ) of its candidates' confidences for the choice (a
                motion prior); the reported scores stay the confidences.

        Returns:
            :obj:`InstanceData`: One row per object, holding copies (not
            views of the candidates' storage).
        """
        if len(candidates) != self.num_objects:
            raise ValueError(f'{len(candidates)} candidate sets for '
                             f'{self.num_objects} objects')
        last = self.last
        has_masks = 'masks' in last
        weighted = [
            c.scores if factors is None or factors[k] is None else
            c.scores * factors[k].to(c.scores)
            for k, c in enumerate(candidates)
        ]
        keep, chosen_masks = self._choose(candidates, weighted, masks,
                                          has_masks)
        bboxes = last.bboxes.clone()
        scores = torch.zeros_like(last.scores)
        new_masks = last.masks.clone() if has_masks else None
        for k, idx in enumerate(keep):
            if idx is None:
                continue
            cands = candidates[k]
            bboxes[k] = self.chosen_box(k, cands.bboxes[idx]).to(bboxes)
            scores[k] = cands.scores[idx].to(scores)
            if has_masks:
                new_masks[k] = chosen_masks[k].to(new_masks.device)
        out = InstanceData(bboxes=bboxes, scores=scores)
        if has_masks:
            out.masks = new_masks
        return out

    def _choose(self, candidates: List[InstanceData], weighted: List[Tensor],
                masks: Optional[Callable], has_masks: bool
                ) -> Tuple[list, dict]:
        """Each object's candidate index (None without candidates) and the
        chosen masks: each object's own choice, or with ``exclusive`` and
        two or more objects the assignment where own choices collide."""
        if not (self.exclusive and sum(len(c) > 0 for c in candidates) > 1):
            return self._own_choice(candidates, weighted, masks, has_masks)
        firsts = [int(w.argmax()) if len(w) else None for w in weighted]
        if self._overlapping(candidates, firsts):
            # the most confident candidates already collide: assign
            return self._select_exclusive(candidates, weighted, masks,
                                          has_masks)
        # each object's own choice on copies of the smoothers (their state
        # is rebound, not mutated, by a choice); it stands when no two
        # choices overlap, as the assignment would then keep it
        smoothers = self.smoothers
        self.smoothers = [copy.copy(sm) for sm in smoothers]
        kept = None if masks is None else _KeptMasks(masks)
        keep, chosen_masks = self._own_choice(candidates, weighted, kept,
                                              has_masks)
        if not self._overlapping(candidates, keep):
            return keep, chosen_masks
        self.smoothers = smoothers
        return self._select_exclusive(candidates, weighted, kept, has_masks)

    def _own_choice(self, candidates: List[InstanceData],
                    weighted: List[Tensor], masks: Optional[Callable],
                    has_masks: bool) -> Tuple[list, dict]:
        """Each object's own best candidate (see :meth:`select`)."""
        if masks is not None and has_masks:
            return self._select_lazy(candidates, weighted, masks)
        return self._select_full(candidates, weighted, has_masks)

    def _select_full(self, candidates: List[InstanceData],
                     weighted: List[Tensor],
                     has_masks: bool) -> Tuple[list, dict]:
        """The choice on candidates that carry their masks (``weighted``:
        their confidences for the choice)."""
        keep, chosen_masks = [], {}
        for k, cands in enumerate(candidates):
            scores = weighted[k]
            masks = cands.masks if 'masks' in cands else None
            if len(cands) == 0:
                keep.append(None)
                continue
            if self.smoothers[k] is not None:
                idx = int(self.smoothers[k].select(cands.bboxes, scores,
                                                   masks)[0])
            else:
                idx = int(scores.argmax())
            keep.append(idx)
            if has_masks:
                chosen_masks[k] = masks[idx]
        return keep, chosen_masks

    def _select_lazy(self, candidates: List[InstanceData],
                     weighted: List[Tensor],
                     masks: Callable) -> Tuple[list, dict]:
        """The choice with masks computed on demand (see :meth:`select`)."""
        objs = [k for k, cands in enumerate(candidates) if len(cands)]
        firsts = [int(weighted[k].argmax()) for k in objs]
        first_masks = masks(objs, firsts)
        rival_objs, rival_inds, subsets = [], [], {}
        for k, first, first_mask in zip(objs, firsts, first_masks):
            smoother = self.smoothers[k]
            if smoother is None:
                continue
            cands = candidates[k]
            if hasattr(smoother, 'rivals'):
                rivals = smoother.rivals(cands.bboxes, weighted[k], first,
                                         first_mask).tolist()
            else:  # a smoother that does not say: all masks
                rivals = [i for i in range(len(cands)) if i != first]
            subsets[k] = sorted(rivals + [first])
            rival_objs += [k] * len(rivals)
            rival_inds += rivals
        rival_masks = masks(rival_objs, rival_inds) if rival_objs else None
        known = {(k, first): mask
                 for k, first, mask in zip(objs, firsts, first_masks)}
        for j, pair in enumerate(zip(rival_objs, rival_inds)):
            known[pair] = rival_masks[j]
        keep, chosen_masks = [None] * len(candidates), {}
        for k, first in zip(objs, firsts):
            idx = first
            if k in subsets:
                inds = subsets[k]
                cands = candidates[k]
                sub = torch.as_tensor(inds, device=cands.scores.device)
                j = self.smoothers[k].select(
                    cands.bboxes[sub], weighted[k][sub],
                    torch.stack([known[(k, i)] for i in inds]))[0]
                idx = inds[int(j)]
            keep[k] = idx
            chosen_masks[k] = known[(k, idx)]
        return keep, chosen_masks

    def _overlapping(self, candidates: List[InstanceData],
                     keep: list) -> bool:
        """Whether two objects' chosen boxes overlap with IoU >=
        ``assignment_iou``."""
        objs = [k for k, i in enumerate(keep) if i is not None]
        if len(objs) < 2:
            return False
        boxes = torch.stack(
            [candidates[k].bboxes[keep[k]].float() for k in objs])
        ious = bbox_overlaps(boxes, boxes).triu(1)
        return bool((ious >= self.assignment_iou).any())

    def _select_exclusive(self, candidates: List[InstanceData],
                          weighted: List[Tensor], masks: Optional[Callable],
                          has_masks: bool) -> Tuple[list, dict]:
        """The choice with one place per object: each object's
        ``assignment_top`` candidates of highest confidence, re-scored by
        its smoother, assigned across objects; the smoothers commit the
        assigned candidates. Masks are computed (in batched calls) only for
        the candidates whose box meets the previous track's box (elsewhere
        the mask IoU is 0) and for the assigned ones."""
        num = len(candidates)
        objs = [k for k, cands in enumerate(candidates) if len(cands)]
        subs = {
            k: torch.argsort(weighted[k], descending=True,
                             stable=True)[:self.assignment_top]
            for k in objs
        }
        known = {}

        def fetch(pairs):
            pairs = [p for p in pairs if p not in known]
            if not pairs:
                return
            if masks is not None:
                found = masks([k for k, _ in pairs], [i for _, i in pairs])
            else:
                found = [candidates[k].masks[i] for k, i in pairs]
            known.update(zip(pairs, found))

        empty = torch.zeros(0, 4)
        boxes, rescored = [empty] * num, [empty[:, 0]] * num
        near = {}
        for k in objs:
            boxes[k] = candidates[k].bboxes[subs[k]]
            rescored[k] = weighted[k][subs[k]]
            sm = self.smoothers[k]
            if has_masks and sm is not None and sm.enabled \
                    and sm.prev_mask is not None:
                near[k] = _meets(boxes[k], sm.prev_bbox).nonzero()[:, 0]
        fetch([(k, int(subs[k][j])) for k, js in near.items()
               for j in js.tolist()])
        overlaps = {}
        for k in objs:
            sm = self.smoothers[k]
            if sm is None:
                continue
            ious = None
            if k in near:
                ious = torch.zeros(len(boxes[k]))
                js = near[k]
                if len(js):
                    ious[js] = sm.overlaps(
                        boxes[k][js],
                        torch.stack([known[(k, int(subs[k][j]))]
                                     for j in js.tolist()])).float().cpu()
            rescored[k], overlaps[k] = sm.rescore(
                boxes[k], rescored[k], overlaps=ious.to(rescored[k])
                if ious is not None else None)
        assign = greedy_assignment if self.assignment == 'greedy' \
            else exclusive_assignment
        choice = assign(boxes, rescored, self.assignment_iou)
        keep = [None] * num
        for k in objs:
            if choice[k] is not None:
                keep[k] = int(subs[k][choice[k]])
        if has_masks:
            fetch([(k, keep[k]) for k in objs if keep[k] is not None])
        chosen_masks = {
            k: known[(k, keep[k])]
            for k in objs if has_masks and keep[k] is not None
        }
        for k in objs:
            sm = self.smoothers[k]
            if keep[k] is None or sm is None:
                continue
            box = candidates[k].bboxes[keep[k]]
            if k in near or not has_masks:
                iou = float(overlaps[k][choice[k]])
            else:  # the chosen one's overlap, for the smoother's state
                iou = float(sm.overlaps(box[None],
                                        chosen_masks[k][None])[0])
            sm.commit(box, iou, chosen_masks.get(k))
        return keep, chosen_masks


def _meets(bboxes: Tensor, box: Tensor, margin: float = 4.) -> Tensor:
    """Which of ``bboxes`` (n, 4) come within ``margin`` pixels of ``box``
    (4, ). A pasted mask's on pixels lie within about a pixel of its box
    (mmdet pastes over the box's pixels plus one on each side), so masks of
    boxes further apart than the margin cannot overlap."""
    b = box.to(bboxes)
    return ((bboxes[:, 0] < b[2] + margin) & (bboxes[:, 2] > b[0] - margin)
            & (bboxes[:, 1] < b[3] + margin) & (bboxes[:, 3] > b[1] - margin))


class _KeptMasks:
    """A candidates' ``masks(obj_inds, cand_inds)`` function that computes
    each mask once (one batched call for the ones not seen before)."""

    def __init__(self, masks: Callable) -> None:
        self.masks = masks
        self.kept = {}

    def __call__(self, obj_inds, cand_inds) -> Tensor:
        pairs = [(int(k), int(i)) for k, i in zip(obj_inds, cand_inds)]
        new = list(dict.fromkeys(p for p in pairs if p not in self.kept))
        if new or not pairs:
            found = self.masks([k for k, _ in new], [i for _, i in new])
            self.kept.update(zip(new, found))
            if not pairs:
                return found
        return torch.stack([self.kept[p] for p in pairs])
