# Copyright (c) mmtao contributors. All rights reserved.
import copy
from typing import Dict, Optional

import numpy as np
import torch
from mmdet.structures.bbox import bbox_overlaps
from mmengine.structures import InstanceData
from torch import Tensor

from ..heads.ridge_template_head import check_template_bboxes
from .box_inputs import BoxesLike, as_boxes
from .template_memory import sample_points


class CorrectionMixin:
    """Corrections and snapshots of :class:`SOTTracker`: redraw a lost
    object on the last frame (no restart) and get/set the whole per-object
    state (the web demo continues a job from any frame with them)."""

    @torch.no_grad()
    def correct(self, model, bboxes: Dict[int, BoxesLike]) -> InstanceData:
        """Redraw objects' boxes on the last frame given to :meth:`init` /
        :meth:`track` (its stored features: no backbone pass; with a search
        region whose window misses the box, one pass on a window holding
        it).

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
        wrong = self.last.bboxes[inds].to(device).float()
        self._look_at(model, torch.cat([boxes, wrong]))
        pos = self._box_rows(model, self.to_input(boxes))
        ious = bbox_overlaps(boxes, wrong, is_aligned=True)
        neg = self._box_rows(model, self.to_input(wrong))
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
        if self.search is not None:
            self.search.restart(k, box)
        if self.motions[k] is not None:
            self.motions[k].reset(box)

    _state_skip = ('_feats', '_meta', '_img', '_frame_meta', '_views',
                   '_object_views', '_smoother_proto')

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
        self._img, self._frame_meta = None, None
        self._views, self._object_views = [], []
