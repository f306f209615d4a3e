# Copyright (c) mmtao contributors. All rights reserved.
import copy
from typing import Callable, List, Optional, Sequence, Tuple

import torch
from mmdet.utils import OptConfigType
from mmengine.structures import InstanceData
from torch import Tensor

from mmtao.registry import MODELS
from ..heads.ridge_template_head import check_template_bboxes
from .box_inputs import BoxesLike, as_boxes  # noqa: F401 (API)
from .template_memory import TemplateMemory
from .tracker_correction import CorrectionMixin
from .track_proposals import check_scales
from .tracker_parts import build_part
from .tracker_selection import SelectionMixin
from .tracker_views import ViewsMixin


@MODELS.register_module()
class SOTTracker(ViewsMixin, SelectionMixin, CorrectionMixin):
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
    * With a ``box_convention`` a chosen candidate's box is reported (and
      kept as the last box) with the first frame's drawn-vs-detected offset
      applied; init boxes and corrections are reported as given.
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
        search (dict or ConfigDict, optional): A :class:`SearchRegion`
            config: the network sees a window around the objects at one
            object scale instead of the whole frame. Defaults to None (the
            paper's whole frame).
        motion (dict or ConfigDict, optional): A :class:`MotionPrior`
            config, one per object: candidate confidences are multiplied by
            its factor for the choice (the reported presence stays the
            detector confidence). Defaults to None (the paper's choice).
        motion_gate (float): Detector confidence from which a track moves
            the motion prior. Defaults to 0.5.
        box_convention (dict or ConfigDict, optional): A
            :class:`BoxConvention` config: the offset between each drawn
            first box and the detector's box of it on the first frame is
            applied to every box chosen later (one more candidate pass at
            init). Defaults to None (the detector's boxes as they are).
        track_proposals (Sequence[float], optional): Each object's last
            box, scaled by each of these factors about its centre, joins
            its RPN proposals every frame (Siam R-CNN's previous-frame
            proposals): the box head scores and refines a whole-object box
            even where the RPN proposes only parts of it. Defaults to None
            (the RPN's proposals only, the paper's).
        exclusive (bool): With two or more objects, one place per object
            per frame (:func:`exclusive_assignment` on the smoothers'
            re-scores), so that two tracks do not take one object.
            Defaults to False (each object's own best candidate).
        assignment_iou (float): Overlap that makes two candidates one place.
            Defaults to 0.5.
        assignment_top (int): Candidates per object (of highest confidence)
            the assignment considers. Defaults to 8.
        assignment (str): ``'sum'``: the places of the largest summed
            re-score (:func:`exclusive_assignment`); ``'greedy'``: the most
            confident (object, place) first, so that no object is moved off
            a place by a less confident one (:func:`greedy_assignment`).
            Defaults to 'sum'.
    """

    def __init__(self,
                 temporal: OptConfigType = None,
                 memory: OptConfigType = None,
                 search: OptConfigType = None,
                 motion: OptConfigType = None,
                 motion_gate: float = 0.5,
                 box_convention: OptConfigType = None,
                 track_proposals: Optional[Sequence[float]] = None,
                 exclusive: bool = False,
                 assignment_iou: float = 0.5,
                 assignment_top: int = 8,
                 assignment: str = 'sum') -> None:
        if assignment_top < 1:
            raise ValueError('SOTTracker: assignment_top must be >= 1, got '
                             f'{assignment_top}')
        if assignment not in ('sum', 'greedy'):
            raise ValueError("SOTTracker: assignment must be 'sum' or "
                             f"'greedy', got {assignment!r}")
        self.assignment = assignment
        self.exclusive = bool(exclusive)
        self.assignment_iou = float(assignment_iou)
        self.assignment_top = int(assignment_top)
        self.temporal_cfg = temporal
        self.motion_cfg = motion
        self.motion_gate = float(motion_gate)
        self.memory_cfg = dict(memory or {})
        self.memory_cfg.pop('type', None)
        self.search_cfg = search
        self.track_proposals = check_scales(track_proposals)
        self.convention = None if box_convention is None else build_part(
            box_convention, 'BoxConvention')
        self.reset()

    def reset(self) -> None:
        """Forget every object and the sequence."""
        self.templates: Optional[Tensor] = None
        self.smoothers: list = []
        self.motions: list = []
        self.last: Optional[InstanceData] = None
        self.frame_shape: Optional[Tuple[int, int]] = None
        self.frame = 0
        self.memory: Optional[TemplateMemory] = None
        # (K, 4) BoxConvention offsets (None without one)
        self.box_offsets: Optional[Tensor] = None
        self._feats: Optional[Tuple[Tensor]] = None
        self._meta: Optional[dict] = None
        # with split search windows: every (features, meta) view of the
        # last frame and the view each object was seen in
        self._views: List[Tuple[Tuple[Tensor], dict]] = []
        self._object_views: List[int] = []
        # the last frame as the pipeline gave it (search regions re-crop it)
        self._img: Optional[Tensor] = None
        self._frame_meta: Optional[dict] = None
        self.search = None if self.search_cfg is None else build_part(
            self.search_cfg, 'SearchRegion')

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
        if self.search is not None:
            self.search.add(bboxes)
        self._img, self._frame_meta = img, img_meta
        groups = self._set_views(model) or [0] * len(bboxes)
        bboxes = bboxes.to(img.device)
        out = None
        # objects are added in their order, in runs that share a view
        start = 0
        for k in range(1, len(bboxes) + 1):
            if k == len(bboxes) or groups[k] != groups[start]:
                self._use_view(groups[start])
                out = self._add(model, bboxes[start:k])
                start = k
        return out

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
        if self.search is not None:
            self.search.add(bboxes)
        self._look_at(model, bboxes)
        return self._add(model, bboxes.to(self._feats[0].device))

    def _add(self, model, bboxes: Tensor) -> InstanceData:
        meta = self._meta
        head = model.template_head
        boxes_in = self.to_input(bboxes)
        if getattr(head, 'strategy', None) == 'ridge':
            # the head's rows and solve (what its forward computes), kept
            # in the memory for corrections and updates
            pos, neg, _ = head.ridge_rows(self._feats, boxes_in, meta)
            templates = self._first_templates(model, boxes_in, pos, neg)
        else:
            templates = head(self._feats, [boxes_in], [meta])
        if self.convention is not None:
            offsets = self._fit_convention(model, bboxes, templates)
            self.box_offsets = offsets if self.box_offsets is None else \
                torch.cat([self.box_offsets, offsets])
        self.templates = templates if self.templates is None else torch.cat(
            [self.templates, templates])
        self._object_views += [self._current_view()] * len(bboxes)
        h, w = self.frame_shape
        masks = self.box_masks(bboxes, h, w) if model._track_masks else None
        for k, box in enumerate(bboxes):
            smoother = self._new_smoother()
            if smoother is not None:
                smoother.reset(box, None if masks is None else masks[k])
            self.smoothers.append(smoother)
            self.motions.append(self._new_motion(box))
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

    def _fit_convention(self, model, bboxes: Tensor,
                        templates: Tensor) -> Tensor:
        """:class:`BoxConvention` offsets (n, 4) of new objects: their
        drawn boxes against the model's candidates for their templates on
        the same (stored) frame."""
        cands, _ = model.predict_candidates(
            self._feats, templates, self._meta, rescale=True, lazy_masks=True)
        if self.search is not None:
            cands, _ = self.search.to_frame(cands, None, self._meta)
        return self.convention.fit(bboxes, cands, self.frame_shape)

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
            self._smoother_proto = build_part(self.temporal_cfg,
                                              'TemporalSmoother')
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
        if self.search is not None:
            self.search.update(self.last.bboxes, self.last.scores)
        return self._result(self.last)

    def _select_next(self, model, candidates: List[InstanceData],
                     masks: Optional[Callable]) -> InstanceData:
        """The choice of :meth:`track` (subclasses choose otherwise)."""
        out = self.select(candidates, masks, self.motion_factors(candidates))
        self.update_motions(out.bboxes, out.scores)
        return out

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
