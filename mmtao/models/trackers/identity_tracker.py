# Copyright (c) mmtao contributors. All rights reserved.
from typing import List, Optional, Sequence

import torch
from mmdet.structures.bbox import bbox2roi, bbox_overlaps
from mmdet.utils import OptConfigType
from mmengine.structures import InstanceData
from torch import Tensor

from mmtao.registry import MODELS
from .exclusive_assignment import exclusive_assignment
from .sot_tracker import SOTTracker
from .template_memory import sample_points
from .tracker_parts import build_part


def build_tracker(test_cfg, temporal: bool = True) -> SOTTracker:
    """The tracker of a model's ``test_cfg``: ``test_cfg.tracker`` (e.g. an
    :class:`IdentityTracker`) when given, else the paper's
    :class:`SOTTracker`; ``test_cfg.temporal`` is its smoother unless
    ``temporal=False``."""
    smoother = test_cfg.get('temporal') if temporal else None
    cfg = test_cfg.get('tracker')
    if cfg is None:
        return SOTTracker(temporal=smoother)
    cfg = dict(cfg)
    # the model's smoother unless the tracker config sets its own (None:
    # no smoother); temporal=False always means none
    cfg['temporal'] = cfg.get('temporal', smoother) if temporal else None
    return build_part(cfg, 'SOTTracker')


@MODELS.register_module()
class IdentityTracker(SOTTracker):
    """:class:`SOTTracker` that keeps each object's identity (issue 19).

    Every part is an option (all off = the paper's selection, except that
    the smoother's overlap is box IoU: masks are computed for the chosen
    candidates only):

    * ``init_positives='mask'``: the first-frame positives are the features
      on a ``init_grid`` x ``init_grid`` grid in the box where the model's
      own (detection-mode) mask of the box is on, so that a template still
      describes the object when the box centre is not on it; ``'center'``
      is the paper's centre feature.
    * ``update``: ``dict(gate, interval, grid)``: every ``interval`` frames
      an object whose chosen candidate has detector confidence >= ``gate``
      adds the features on a grid in
      its box under its predicted mask to its :class:`TemplateMemory`
      (options ``memory``), and its template is re-solved.
    * ``hard_negatives``: ``dict(min_score, max_iou, num)``: on those
      frames, up to ``num`` candidates scoring >= ``min_score`` that do not
      overlap the chosen one (IoU < ``max_iou``) join as negatives;
      ``others_as_negatives`` adds the other objects' confident tracks.
    * ``motion``: a :class:`MotionPrior` config; candidate scores are
      multiplied by its factor before the smoother and the choice.
    * ``exclusive``: with K >= 2 objects, one place per object
      (:func:`exclusive_assignment`, IoU ``assignment_iou``).
    * ``search``, ``box_convention``, ``track_proposals``: a
      :class:`SearchRegion` config, a :class:`BoxConvention` config and
      the scales of the track's own proposals, as for :class:`SOTTracker`.
    * ``presence``: a :class:`PresenceCalibration` config; else the
      presence is the chosen candidate's detector confidence. The gates
      (``update.gate``, ``motion_gate``) read the detector confidence, so
      the calibration changes only the reported presence.

    ``last_cues`` holds the cues of the last frame (per object: detector
    score, similarities, motion factor) for calibration.
    """

    def __init__(self,
                 temporal: OptConfigType = None,
                 memory: OptConfigType = None,
                 init_positives: str = 'center',
                 init_grid: int = 5,
                 mask_thr: float = 0.5,
                 update: Optional[dict] = None,
                 hard_negatives: Optional[dict] = None,
                 others_as_negatives: bool = False,
                 motion: OptConfigType = None,
                 motion_gate: float = 0.5,
                 exclusive: bool = False,
                 assignment_iou: float = 0.5,
                 presence: OptConfigType = None,
                 search: OptConfigType = None,
                 box_convention: OptConfigType = None,
                 track_proposals: Optional[Sequence[float]] = None) -> None:
        if init_positives not in ('center', 'mask'):
            raise ValueError("IdentityTracker: init_positives must be "
                             f"'center' or 'mask', got {init_positives!r}")
        self.init_positives = init_positives
        self.init_grid = int(init_grid)
        self.mask_thr = float(mask_thr)
        self.update_cfg = {
            **dict(gate=0.6, interval=5, grid=3),
            **update
        } if update else None
        self.hard_cfg = {
            **dict(min_score=0.3, max_iou=0.3, num=2),
            **hard_negatives
        } if hard_negatives else None
        self.others_as_negatives = bool(others_as_negatives)
        self.presence_cfg = presence
        self.calibration = None if presence is None else build_part(
            presence, 'PresenceCalibration')
        super().__init__(
            temporal=temporal,
            memory=memory,
            search=search,
            motion=motion,
            motion_gate=motion_gate,
            box_convention=box_convention,
            track_proposals=track_proposals,
            exclusive=exclusive,
            assignment_iou=assignment_iou)

    def reset(self) -> None:
        super().reset()
        self.first_templates: Optional[Tensor] = None
        self.last_update: List[int] = []
        self.last_cues: Optional[dict] = None

    # ------------------------------------------------------------------ #
    def _first_templates(self, model, boxes_in: Tensor, pos: Tensor,
                         neg: Tensor) -> Tensor:
        if self.init_positives == 'center':
            templates = super()._first_templates(model, boxes_in, pos, neg)
        else:
            if self.memory is None:
                self.memory = self._new_memory(model)
            start = len(self.memory)
            rows = self._mask_rows(model, boxes_in)
            for k in range(len(boxes_in)):
                self.memory.add_object(rows[k], neg[k], self.frame)
            templates = self.memory.solve(
                range(start, len(self.memory)), self.frame).to(pos)
        self.first_templates = templates.clone() \
            if self.first_templates is None else torch.cat(
                [self.first_templates, templates])
        return templates

    def _mask_rows(self, model, boxes_in: Tensor) -> List[Tensor]:
        """Positives on a grid in each box where the model's detection-mode
        mask of the box is on (the centre feature when none is)."""
        rh = model.roi_head
        feats = self._feats
        rois = bbox2roi([boxes_in.to(feats[0].dtype)])
        extractor = rh.mask_roi_extractor
        mask_feats = extractor(feats[:extractor.num_inputs], rois)
        probs = rh.mask_head(mask_feats).sigmoid().amax(1)  # (n, M, M)
        head = model.template_head
        levels = head.map_levels(rois)
        g = self.init_grid
        frac = (torch.arange(g, dtype=boxes_in.dtype,
                             device=boxes_in.device) + 0.5) / g
        rows = []
        for i, (box, level) in enumerate(zip(boxes_in, levels.tolist())):
            m = probs[i]
            idx = (frac * m.size(-1)).long().clamp(max=m.size(-1) - 1)
            on = (m[idx][:, idx] > self.mask_thr).reshape(-1)
            x1, y1, x2, y2 = box
            xs = (x1 + frac * (x2 - x1))[None].expand(g, g).reshape(-1)
            ys = (y1 + frac * (y2 - y1))[:, None].expand(g, g).reshape(-1)
            if not bool(on.any()):
                xs, ys = ((x1 + x2) / 2)[None], ((y1 + y2) / 2)[None]
            else:
                xs, ys = xs[on], ys[on]
            rows.append(
                sample_points(feats[level][0], xs, ys,
                              head.featmap_strides[level]))
        return rows

    def _add(self, model, bboxes: Tensor) -> InstanceData:
        out = super()._add(model, bboxes)
        self.last_update += [self.frame] * len(bboxes)
        return out

    # ------------------------------------------------------------------ #
    # track() is SOTTracker's; the choice among the candidates is this one
    def _select_next(self, model, candidates: List[InstanceData],
                     masks) -> InstanceData:
        num = self.num_objects
        last = self.last
        rescored, overlaps = [], []
        factors = self.motion_factors(candidates) or [None] * num
        for k, cands in enumerate(candidates):
            if len(cands) == 0:
                rescored.append(cands.scores.float())
                overlaps.append(None)
                continue
            s = cands.scores.float()
            if factors[k] is None:
                factors[k] = torch.ones_like(s)
            s = s * factors[k]
            iou = None
            if self.smoothers[k] is not None:
                s, iou = self.smoothers[k].rescore(cands.bboxes, s)
            rescored.append(s)
            overlaps.append(iou)
        if self.exclusive and num > 1:
            keep = exclusive_assignment([c.bboxes for c in candidates],
                                        rescored, self.assignment_iou)
        else:
            keep = [int(s.argmax()) if len(s) else None for s in rescored]
        objs = [k for k in range(num) if keep[k] is not None]
        has_masks = 'masks' in last
        chosen_masks = {}
        if has_masks and objs:
            if masks is not None:
                ms = masks(objs, [keep[k] for k in objs])
                chosen_masks = {k: ms[i] for i, k in enumerate(objs)}
            else:
                chosen_masks = {
                    k: candidates[k].masks[keep[k]]
                    for k in objs
                }
        bboxes = last.bboxes.clone()
        raw = torch.zeros_like(last.scores)
        motion = torch.zeros_like(last.scores)
        new_masks = last.masks.clone() if has_masks else None
        for k in objs:
            bboxes[k] = candidates[k].bboxes[keep[k]].to(bboxes)
            raw[k] = candidates[k].scores[keep[k]].to(raw)
            motion[k] = factors[k][keep[k]].to(motion)
            if has_masks:
                new_masks[k] = chosen_masks[k].to(new_masks.device)
        rows = self._track_rows(model, bboxes, objs, chosen_masks)
        cues = dict(
            score=raw,
            logit_score=self._logit(raw),
            motion=motion,
            sim_first=self._sims(rows, self.first_templates, num, raw),
            sim_now=self._sims(rows, self.templates, num, raw))
        present = self.calibration(cues).to(raw) \
            if self.calibration is not None else raw.clone()
        present[[k for k in range(num) if keep[k] is None]] = 0.
        cues['presence'] = present
        self.last_cues = cues
        for k in objs:
            if self.smoothers[k] is not None:
                self.smoothers[k].commit(bboxes[k], float(overlaps[k][keep[k]]))
        # the gates read the detector confidence, so that the calibration
        # changes only the reported presence
        self.update_motions(bboxes, raw)
        self._update_memory(model, candidates, keep, bboxes, rows, raw)
        # smoothers, priors and memory work in the detector's boxes; the
        # track is reported (and kept) in the drawn boxes' convention
        for k in objs:
            bboxes[k] = self.chosen_box(k, bboxes[k])
        out = InstanceData(bboxes=bboxes, scores=present)
        if has_masks:
            out.masks = new_masks
        return out

    @staticmethod
    def _logit(score: Tensor) -> Tensor:
        s = score.float().clamp(1e-4, 1 - 1e-4)
        return torch.log(s / (1 - s))

    @staticmethod
    def _sims(rows: dict, templates: Tensor, num: int, ref: Tensor) -> Tensor:
        out = torch.zeros(num, dtype=ref.dtype, device=ref.device)
        for k, r in rows.items():
            out[k] = (r @ templates[k].to(r)).mean().to(out)
        return out

    def _level_points(self, model, boxes_in: Tensor):
        head = model.template_head
        rois = torch.cat([boxes_in.new_zeros(len(boxes_in), 1), boxes_in], 1)
        return head, head.map_levels(rois).tolist()

    def _track_rows(self, model, bboxes: Tensor, objs: List[int],
                    chosen_masks: dict) -> dict:
        """Per chosen object, the features on a grid in its box under its
        mask (the centre when the mask misses the grid), (n, D)."""
        if not objs:
            return {}
        g = self.update_cfg['grid'] if self.update_cfg else 3
        frac = (torch.arange(g, dtype=torch.float32,
                             device=bboxes.device) + 0.5) / g
        boxes = bboxes[objs].float()
        rows = {}
        for i, k in enumerate(objs):
            # each object's features from the view it was seen in
            self.use_object_view(k)
            head, levels = self._level_points(model,
                                              self.to_input(boxes[i:i + 1]))
            x1, y1, x2, y2 = boxes[i]
            xs = (x1 + frac * (x2 - x1))[None].expand(g, g).reshape(-1)
            ys = (y1 + frac * (y2 - y1))[:, None].expand(g, g).reshape(-1)
            if k in chosen_masks:
                m = chosen_masks[k]
                on = m[ys.long().clamp(0, m.size(0) - 1),
                       xs.long().clamp(0, m.size(1) - 1)]
                if bool(on.any()):
                    xs, ys = xs[on], ys[on]
                else:
                    xs, ys = ((x1 + x2) / 2)[None], ((y1 + y2) / 2)[None]
            # frame pixels -> the input's (points as zero-size boxes)
            pts = self.to_input(torch.stack([xs, ys, xs, ys], 1))
            xs, ys = pts[:, 0], pts[:, 1]
            lvl = levels[0]
            rows[k] = sample_points(self._feats[lvl][0], xs, ys,
                                    head.featmap_strides[lvl])
        return rows

    def _centre_rows(self, model, boxes: Tensor) -> Tensor:
        """Centre features of boxes in original coordinates, (n, D)."""
        return self._box_rows(model, self.to_input(boxes))[:, 0]

    def _update_memory(self, model, candidates, keep, bboxes: Tensor,
                       rows: dict, present: Tensor) -> None:
        if self.update_cfg is None or self.memory is None:
            return
        cfg = self.update_cfg
        changed = []
        for k, idx in enumerate(keep):
            if idx is None or float(present[k]) < cfg['gate'] \
                    or self.frame - self.last_update[k] < cfg['interval']:
                continue
            self.memory.add_positives(k, rows[k], self.frame)
            self.last_update[k] = self.frame
            negs = []
            if self.hard_cfg is not None:
                cands = candidates[k]
                ious = bbox_overlaps(cands.bboxes.float(),
                                     bboxes[k:k + 1].float())[:, 0]
                ok = (cands.scores >= self.hard_cfg['min_score']) & (
                    ious < self.hard_cfg['max_iou'])
                inds = torch.nonzero(ok)[:, 0][:self.hard_cfg['num']]
                if len(inds):
                    self.use_object_view(k)
                    negs.append(self._centre_rows(model, cands.bboxes[inds]))
            if self.others_as_negatives and len(keep) > 1:
                others = [
                    j for j in range(len(keep)) if j != k
                    and keep[j] is not None and float(present[j]) >= cfg['gate']
                ]
                if others:
                    ious = bbox_overlaps(bboxes[others].float(),
                                         bboxes[k:k + 1].float())[:, 0]
                    for j, iou in zip(others, ious.tolist()):
                        if iou < 0.3:
                            self.use_object_view(j)
                            negs.append(
                                self._centre_rows(model, bboxes[j:j + 1]))
            if negs:
                self.memory.add_negatives(k, torch.cat(negs), self.frame)
            changed.append(k)
        if changed:
            templates = self.templates.clone()
            templates[changed] = self.memory.solve(changed,
                                                   self.frame).to(templates)
            self.templates = templates
