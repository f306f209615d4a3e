# Copyright (c) mmtao contributors. All rights reserved.
import copy
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmdet.structures.bbox import bbox_overlaps, scale_boxes
from mmdet.utils import OptConfigType
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData
from torch import Tensor

from mmtao.registry import MODELS
from ..heads.ridge_template_head import check_template_bboxes
from .template_memory import TemplateMemory, sample_points

BoxesLike = Union[Tensor, np.ndarray, Sequence[Sequence[float]],
                  Sequence[float]]


def as_boxes(bboxes: BoxesLike,
             name: str = 'init bboxes',
             img_shape: Optional[Sequence[int]] = None) -> Tensor:
    """K boxes as a float32 Tensor (K, 4), K >= 1, or a one-line ValueError.

    Args:
        bboxes: (K, 4) or (4, ) numbers, xyxy.
        name (str): How the error names the input.
        img_shape (Sequence[int], optional): (h, w) of the frame; when
            given, a finite box whose centre lies outside it is refused
            (its template would be read outside the image).

    Returns:
        Tensor: (K, 4) float32 on the CPU (or the input's device).
    """
    device = bboxes.device if isinstance(bboxes, Tensor) else 'cpu'
    if isinstance(bboxes, Tensor):
        bboxes = bboxes.detach().cpu().numpy()
    try:
        arr = np.asarray(bboxes, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValueError(f'{name} must be K boxes of 4 numbers '
                         f'(x1, y1, x2, y2), got {bboxes!r}') from None
    if arr.ndim == 1 and arr.size == 4:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != 4 or arr.shape[0] == 0:
        raise ValueError(
            f'{name} must be K >= 1 boxes of 4 numbers (x1, y1, x2, y2), '
            f'got an array of shape {arr.shape}')
    if img_shape is not None:
        h, w = img_shape[:2]
        for box in arr[np.isfinite(arr).all(1)].tolist():
            cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
            if not (0 <= cx < w and 0 <= cy < h):
                raise ValueError(
                    f'{name}: box {box} has its centre ({cx:g}, {cy:g}) '
                    f'outside the image of size (h={h}, w={w}); expected a '
                    'box around an object inside the image')
    return torch.from_numpy(arr).to(device)


@MODELS.register_module()
class SOTTracker:
    """Per-object tracking state and selection of K objects (Sec. 4.2).

    The one place that turns a tracker model's candidates into tracks: the
    test loop (``JointSOTDetector.predict`` on SOT samples), the Python API
    (``mmtao.apis.SOTInferencer``) and through it the demos all go through
    it. Per object it keeps the template, the temporal smoother (or top-1),
    the last box and mask; per sequence the frame size and the last frame's
    features (so that objects added on a tracked frame cost no second
    backbone pass).

    Rules, the same everywhere:

    * ``init`` stores the templates and returns the given boxes with
      presence score 1 (masks: the box area, which is also the smoother's
      first "previous mask").
    * ``track`` selects per object the candidate with the highest temporally
      re-scored confidence (``0.6 c + 0.4 IoU`` while the smoother is on) or
      the top-1. The reported presence score is the chosen candidate's own
      detector confidence ``c``, not the re-scored value, so an occluded
      target with ``c = 0.3`` is reported at 0.3.
    * An object with no candidate keeps its last box and mask, with presence
      score 0; its smoother is not updated.
    * Every frame of a sequence must have the init frame's size; another
      size raises a ValueError naming the frame and both sizes (with or
      without the smoother).

    Corrections (:meth:`correct`): with the ridge template head the rows
    of every template (its centre positive and background negatives) are
    kept in a :class:`TemplateMemory`; a corrected box joins it as a
    positive and the box the tracker had predicted (when it does not
    overlap the correction) as a negative, and the template is re-solved.
    Until a correction the templates are the head's own (the paper's).

    Args:
        temporal (dict or ConfigDict, optional): A ``TemporalSmoother``
            config, one smoother per object; None selects the top-1.
            Defaults to None.
        memory (dict or ConfigDict, optional): ``TemplateMemory`` options
            (its ``reg`` / ``reg_mode`` default to the template head's).
            Defaults to None (defaults).
    """

    def __init__(self,
                 temporal: OptConfigType = None,
                 memory: OptConfigType = None) -> None:
        self.temporal_cfg = temporal
        self.memory_cfg = dict(memory or {})
        self.memory_cfg.pop('type', None)
        self.reset()

    def reset(self) -> None:
        """Forget every object and the sequence."""
        self.templates: Optional[Tensor] = None
        self.smoothers: list = []
        self.last: Optional[InstanceData] = None
        self.frame_shape: Optional[Tuple[int, int]] = None
        self.frame = 0
        self.memory: Optional[TemplateMemory] = None
        self._feats: Optional[Tuple[Tensor]] = None
        self._meta: Optional[dict] = None

    @property
    def num_objects(self) -> int:
        """int: Number of objects being tracked."""
        return 0 if self.templates is None else int(self.templates.size(0))

    # ------------------------------------------------------------------ #
    @torch.no_grad()
    def init(self, model, img: Tensor, img_meta: dict,
             bboxes: BoxesLike) -> InstanceData:
        """Start a sequence: store the templates of K objects.

        Args:
            model (nn.Module): A ``JointSOTDetector``.
            img (Tensor): Preprocessed frame (1, 3, H, W).
            img_meta (dict): Its meta (``img_shape``, ``ori_shape``,
                ``scale_factor``; ``frame_id`` / ``img_path`` name it in
                errors).
            bboxes: (K, 4) or (4, ) xyxy boxes in original image
                coordinates.

        Returns:
            :obj:`InstanceData`: The K given boxes, scores 1, and with masks
            their box areas.
        """
        bboxes = as_boxes(bboxes)
        self.reset()
        self.frame_shape = tuple(int(s) for s in img_meta['ori_shape'][:2])
        check_template_bboxes(bboxes, self.frame_shape, 'init bbox')
        feats = model.extract_feat(img)
        self._feats, self._meta = feats, img_meta
        return self._add(model, bboxes.to(img.device))

    @torch.no_grad()
    def add_objects(self, model, bboxes: BoxesLike) -> InstanceData:
        """Add objects on the last frame given to :meth:`init` or
        :meth:`track`, from its stored features (no backbone pass).

        Args:
            model (nn.Module): The model of :meth:`init`.
            bboxes: (N, 4) or (4, ) xyxy boxes in that frame's original
                image coordinates.

        Returns:
            :obj:`InstanceData`: All K + N objects as of that frame (the new
            ones with their boxes and score 1).
        """
        if self._feats is None:
            raise RuntimeError('add_objects needs a frame: call init(frame, '
                               'bboxes) first')
        bboxes = as_boxes(bboxes, 'added bboxes')
        check_template_bboxes(bboxes, self.frame_shape, 'added bbox')
        return self._add(model, bboxes.to(self._feats[0].device))

    def _add(self, model, bboxes: Tensor) -> InstanceData:
        meta = self._meta
        head = model.template_head
        boxes_in = scale_boxes(bboxes.clone(), meta['scale_factor'])
        if getattr(head, 'strategy', None) == 'ridge':
            # the head's rows and solve (what its forward computes), kept
            # in the memory for corrections and updates
            pos, neg, _ = head.ridge_rows(self._feats, boxes_in, meta)
            templates = self._first_templates(model, boxes_in, pos, neg)
        else:
            templates = head(self._feats, [boxes_in], [meta])
        self.templates = templates if self.templates is None else torch.cat(
            [self.templates, templates])
        h, w = self.frame_shape
        masks = self.box_masks(bboxes, h, w) if model._track_masks else None
        for k, box in enumerate(bboxes):
            smoother = self._new_smoother()
            if smoother is not None:
                smoother.reset(box, None if masks is None else masks[k])
            self.smoothers.append(smoother)
        fields = dict(bboxes=bboxes.float(), scores=bboxes.new_ones(len(bboxes)))
        if masks is not None:
            fields['masks'] = masks
        if self.last is not None:  # plain torch.cat: InstanceData.cat is slow
            fields = {
                key: torch.cat([self.last.get(key), value])
                for key, value in fields.items()
            }
        self.last = InstanceData(**fields)
        return self._result(self.last)

    def _new_memory(self, model) -> TemplateMemory:
        cfg = dict(
            reg=getattr(model.template_head, 'reg', 0.1),
            reg_mode=getattr(model.template_head, 'reg_mode', 'relative'))
        cfg.update(self.memory_cfg)
        return TemplateMemory(**cfg)

    def _first_templates(self, model, boxes_in: Tensor, pos: Tensor,
                         neg: Tensor) -> Tensor:
        """Templates of new objects from the head's rows (the paper's
        solve); the rows start each object's memory."""
        if self.memory is None:
            self.memory = self._new_memory(model)
        for k in range(len(boxes_in)):
            self.memory.add_object(pos[k], neg[k], self.frame)
        return model.template_head.solve(pos, neg)

    def _new_smoother(self):
        """A fresh smoother (None without one): a copy of one built once,
        as the registry's build costs more than a template solve."""
        if self.temporal_cfg is None:
            return None
        if getattr(self, '_smoother_proto', None) is None:
            # mmtao's registry whatever the current default scope (a
            # process that ran mmdet code may have 'mmdet' as the default)
            with DefaultScope.overwrite_default_scope('mmtao'):
                self._smoother_proto = MODELS.build(self.temporal_cfg)
        return copy.deepcopy(self._smoother_proto)

    # ------------------------------------------------------------------ #
    @torch.no_grad()
    def track(self,
              model,
              img: Tensor,
              img_meta: dict,
              lean: Optional[bool] = None) -> InstanceData:
        """Locate every object in the next frame.

        On the model's lean path only the masks the selection needs are
        computed (see :meth:`select`); ``lean=False`` runs mmdet's predict
        paths with every candidate's mask (the reference of the tests).

        Args:
            model (nn.Module): The model of :meth:`init`.
            img (Tensor): Preprocessed frame (1, 3, H, W).
            img_meta (dict): Its meta, as in :meth:`init`.
            lean (bool, optional): Override the model's
                ``test_cfg.track.lean``.

        Returns:
            :obj:`InstanceData`: ``bboxes`` (K, 4) xyxy in original image
            coordinates, ``scores`` (K, ) presence (the chosen candidate's
            detector confidence, 0 when there was no candidate),
            ``labels`` (K, ) zeros, ``instances_id`` (K, ) and, when the
            model tracks masks, ``masks`` (K, H, W) bool.
        """
        candidates, masks = self._next_candidates(model, img, img_meta, lean)
        self.last = self._select_next(model, candidates, masks)
        return self._result(self.last)

    def _select_next(self, model, candidates: List[InstanceData],
                     masks: Optional[Callable]) -> InstanceData:
        """The choice of :meth:`track` (subclasses choose otherwise)."""
        return self.select(candidates, masks)

    def _next_candidates(self, model, img: Tensor, img_meta: dict,
                         lean: Optional[bool]
                         ) -> Tuple[List[InstanceData], Optional[Callable]]:
        """Check the frame, run the model on it (its features are kept for
        :meth:`correct`) and return every object's candidates.

        Returns:
            tuple: ``(candidates, masks)`` of ``model.predict_candidates``
            with lazy masks: K :obj:`InstanceData` and the mask callable.
        """
        if self.templates is None:
            raise RuntimeError('call init(frame, bboxes) before track(frame)')
        self.check_frame_size(img_meta)
        feats = model.extract_feat(img)
        self._feats, self._meta = feats, img_meta
        self.frame += 1
        return model.predict_candidates(
            feats,
            self.templates,
            img_meta,
            rescale=True,
            lean=lean,
            lazy_masks=True)

    def select(self,
               candidates: List[InstanceData],
               masks: Optional[Callable] = None) -> InstanceData:
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

        Returns:
            :obj:`InstanceData`: One row per object, holding copies (not
            views of the candidates' storage).
        """
        if len(candidates) != self.num_objects:
            raise ValueError(f'{len(candidates)} candidate sets for '
                             f'{self.num_objects} objects')
        last = self.last
        has_masks = 'masks' in last
        if masks is not None and has_masks:
            keep, chosen_masks = self._select_lazy(candidates, masks)
        else:
            keep, chosen_masks = self._select_full(candidates, has_masks)
        bboxes = last.bboxes.clone()
        scores = torch.zeros_like(last.scores)
        new_masks = last.masks.clone() if has_masks else None
        for k, idx in enumerate(keep):
            if idx is None:
                continue
            cands = candidates[k]
            bboxes[k] = cands.bboxes[idx].to(bboxes)
            scores[k] = cands.scores[idx].to(scores)
            if has_masks:
                new_masks[k] = chosen_masks[k].to(new_masks.device)
        out = InstanceData(bboxes=bboxes, scores=scores)
        if has_masks:
            out.masks = new_masks
        return out

    def _select_full(self, candidates: List[InstanceData],
                     has_masks: bool) -> Tuple[list, dict]:
        """The choice on candidates that carry their masks."""
        keep, chosen_masks = [], {}
        for k, cands in enumerate(candidates):
            masks = cands.masks if 'masks' in cands else None
            if len(cands) == 0:
                keep.append(None)
                continue
            if self.smoothers[k] is not None:
                idx = int(self.smoothers[k].select(cands.bboxes,
                                                   cands.scores, masks)[0])
            else:
                idx = int(cands.scores.argmax())
            keep.append(idx)
            if has_masks:
                chosen_masks[k] = masks[idx]
        return keep, chosen_masks

    def _select_lazy(self, candidates: List[InstanceData],
                     masks: Callable) -> Tuple[list, dict]:
        """The choice with masks computed on demand (see :meth:`select`)."""
        objs = [k for k, cands in enumerate(candidates) if len(cands)]
        firsts = [int(candidates[k].scores.argmax()) for k in objs]
        first_masks = masks(objs, firsts)
        rival_objs, rival_inds, subsets = [], [], {}
        for k, first, first_mask in zip(objs, firsts, first_masks):
            smoother = self.smoothers[k]
            if smoother is None:
                continue
            cands = candidates[k]
            if hasattr(smoother, 'rivals'):
                rivals = smoother.rivals(cands.bboxes, cands.scores, first,
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
                    cands.bboxes[sub], cands.scores[sub],
                    torch.stack([known[(k, i)] for i in inds]))[0]
                idx = inds[int(j)]
            keep[k] = idx
            chosen_masks[k] = known[(k, idx)]
        return keep, chosen_masks

    # ------------------------------------------------------------------ #
    # corrections and state
    # ------------------------------------------------------------------ #
    @torch.no_grad()
    def correct(self, model, bboxes: Dict[int, BoxesLike]) -> InstanceData:
        """Redraw objects' boxes on the last frame given to :meth:`init` /
        :meth:`track` (its stored features: no backbone pass).

        Each corrected object gets the box as its track on that frame; the
        box's features join its template memory as positives and the box
        the tracker had predicted, when its IoU with the correction is below
        0.3, as negatives; its template is re-solved and its smoother /
        motion state restarts at the box. Tracking carries on with
        :meth:`track`.

        Args:
            model (nn.Module): The model of :meth:`init`.
            bboxes (dict[int, box]): Object index -> xyxy box in that
                frame's original image coordinates.

        Returns:
            :obj:`InstanceData`: All objects on that frame (as :meth:`track`
            returns them), the corrected ones with their boxes and score 1.
        """
        if self._feats is None or self.num_objects == 0:
            raise ValueError('correct was called before init: there is no '
                             'frame to correct (call init(frame, bboxes))')
        if not isinstance(bboxes, dict) or not bboxes:
            raise ValueError('correct expects a non-empty dict {object index: '
                             f'[x1, y1, x2, y2]}}, got {bboxes!r}')
        if self.memory is None:
            raise ValueError('correct needs the ridge template head (its '
                             'rows are the template memory); this model\'s '
                             'strategy is '
                             f'{getattr(model.template_head, "strategy", "?")!r}')
        inds, boxes = [], []
        for k, box in bboxes.items():
            if isinstance(k, bool) or not isinstance(
                    k, (int, np.integer)) or not 0 <= k < self.num_objects:
                raise ValueError(
                    f'correct: unknown object index {k!r}; the tracked '
                    f'objects are 0..{self.num_objects - 1}')
            name = f'corrected bbox of object {k}'
            box = as_boxes(box, name)
            if len(box) != 1:
                raise ValueError(f'{name} must be one box of 4 numbers, got '
                                 f'{len(box)} boxes')
            check_template_bboxes(box, self.frame_shape, name)
            inds.append(int(k))
            boxes.append(box[0])
        device = self._feats[0].device
        boxes = torch.stack(boxes).to(device)
        meta = self._meta
        boxes_in = scale_boxes(boxes.clone(), meta['scale_factor'])
        pos = self._box_rows(model, boxes_in)
        wrong = self.last.bboxes[inds].to(device).float()
        ious = bbox_overlaps(boxes, wrong, is_aligned=True)
        wrong_in = scale_boxes(wrong.clone(), meta['scale_factor'])
        neg = self._box_rows(model, wrong_in)
        for i, k in enumerate(inds):
            self.memory.add_correction(
                k, pos[i], neg[i] if float(ious[i]) < 0.3 else None,
                self.frame)
        templates = self.templates.clone()
        templates[inds] = self.memory.solve(inds, self.frame).to(templates)
        self.templates = templates
        last = InstanceData(**{k: v.clone() for k, v in self.last.items()})
        h, w = self.frame_shape
        masks = self.box_masks(boxes, h, w)
        for i, k in enumerate(inds):
            last.bboxes[k] = boxes[i].to(last.bboxes)
            last.scores[k] = 1.
            if 'masks' in last:
                last.masks[k] = masks[i].to(last.masks.device)
            self._restart(k, boxes[i], masks[i] if 'masks' in last else None)
        self.last = last
        return self._result(last)

    def _box_rows(self, model, boxes_in: Tensor) -> Tensor:
        """Features describing boxes (input coordinates) on the stored
        frame: the centre feature on the box's level, (n, 1, D)."""
        head = model.template_head
        levels = head.map_levels(
            torch.cat([boxes_in.new_zeros(len(boxes_in), 1), boxes_in], 1))
        rows = []
        for box, level in zip(boxes_in, levels.tolist()):
            cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
            rows.append(
                sample_points(self._feats[level][0], cx[None], cy[None],
                              head.featmap_strides[level]))
        return torch.stack(rows)

    def _restart(self, k: int, box: Tensor, mask: Optional[Tensor]) -> None:
        """Restart object ``k``'s per-object state at ``box``."""
        if self.smoothers[k] is not None:
            self.smoothers[k].reset(box, mask)

    _state_skip = ('_feats', '_meta', '_smoother_proto')

    def get_state(self) -> dict:
        """A detached deep copy of all per-object tracking state (templates,
        memory, smoothers, last tracks, frame counter); the stored features
        of the last frame are not in it."""
        with torch.no_grad():
            return dict(
                tracker=type(self).__name__,
                state={
                    key: copy.deepcopy(value)
                    for key, value in self.__dict__.items()
                    if key not in self._state_skip
                })

    def set_state(self, state: dict) -> None:
        """Continue from a :meth:`get_state` snapshot (deep-copied, so the
        snapshot can be restored again). Then :meth:`track` the next frame
        before :meth:`correct` or :meth:`add_objects`."""
        if not isinstance(state, dict) or 'state' not in state \
                or state.get('tracker') != type(self).__name__:
            raise ValueError(
                f'set_state expects a snapshot from {type(self).__name__}.'
                f'get_state(), got {type(state).__name__}'
                + (f" of a {state.get('tracker')}" if isinstance(state, dict)
                   else ''))
        for key, value in state['state'].items():
            setattr(self, key, copy.deepcopy(value))
        self._feats, self._meta = None, None

    def check_frame_size(self, img_meta: dict) -> None:
        """Raise a ValueError when a frame's size is not the sequence's."""
        shape = tuple(int(s) for s in img_meta['ori_shape'][:2])
        if shape != self.frame_shape:
            name = f'frame {img_meta.get("frame_id", "?")}'
            if img_meta.get('img_path'):
                name += f' ({img_meta["img_path"]})'
            raise ValueError(
                f'{name} is {shape[1]}x{shape[0]} (WxH) but the tracked '
                f'objects were initialised on a {self.frame_shape[1]}x'
                f'{self.frame_shape[0]} frame; all frames of a sequence '
                'must have one size')

    def _result(self, last: InstanceData) -> InstanceData:
        num = len(last)
        pred = InstanceData(
            bboxes=last.bboxes.float(),
            scores=last.scores.float(),
            labels=last.bboxes.new_zeros(num, dtype=torch.long),
            instances_id=torch.arange(num, device=last.bboxes.device))
        if 'masks' in last:
            pred.masks = last.masks.bool()
        return pred

    @staticmethod
    def box_masks(bboxes: Tensor, h: int, w: int) -> Tensor:
        """Bool masks (K, h, w) of the pixels whose centres lie in each box.

        Args:
            bboxes (Tensor): (K, 4) xyxy.
            h (int): Mask height.
            w (int): Mask width.
        """
        ys = torch.arange(h, device=bboxes.device).float() + 0.5
        xs = torch.arange(w, device=bboxes.device).float() + 0.5
        b = bboxes.float()[:, :, None, None]
        return ((ys[None, :, None] >= b[:, 1]) & (ys[None, :, None] <= b[:, 3])
                & (xs[None, None] >= b[:, 0]) & (xs[None, None] <= b[:, 2]))
