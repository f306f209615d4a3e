# Copyright (c) mmtao contributors. All rights reserved.
import copy
from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmdet.structures.bbox import scale_boxes
from mmdet.utils import OptConfigType
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData
from torch import Tensor

from mmtao.registry import MODELS
from ..heads.ridge_template_head import check_template_bboxes

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

    Args:
        temporal (dict or ConfigDict, optional): A ``TemporalSmoother``
            config, one smoother per object; None selects the top-1.
            Defaults to None.
    """

    def __init__(self, temporal: OptConfigType = None) -> None:
        self.temporal_cfg = temporal
        self.reset()

    def reset(self) -> None:
        """Forget every object and the sequence."""
        self.templates: Optional[Tensor] = None
        self.smoothers: list = []
        self.last: Optional[InstanceData] = None
        self.frame_shape: Optional[Tuple[int, int]] = None
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
        templates = model.template_head(
            self._feats,
            [scale_boxes(bboxes.clone(), meta['scale_factor'])], [meta])
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
        if self.templates is None:
            raise RuntimeError('call init(frame, bboxes) before track(frame)')
        self.check_frame_size(img_meta)
        feats = model.extract_feat(img)
        self._feats, self._meta = feats, img_meta
        candidates, masks = model.predict_candidates(
            feats,
            self.templates,
            img_meta,
            rescale=True,
            lean=lean,
            lazy_masks=True)
        self.last = self.select(candidates, masks)
        return self._result(self.last)

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
