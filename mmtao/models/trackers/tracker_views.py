# Copyright (c) mmtao contributors. All rights reserved.
from typing import Callable, List, Optional, Sequence, Tuple

from mmdet.structures.bbox import scale_boxes
from mmengine.structures import InstanceData
from torch import Tensor

from .track_proposals import scaled_boxes


class ViewsMixin:
    """What the network of :class:`SOTTracker` sees: the whole frame, one
    search window holding every object, or (``split_windows``) several
    windows, each holding some objects; and each object's candidates from
    its view, in frame pixels.

    State (set by :meth:`_set_views`): ``_views`` the (features, meta) of
    every view of the stored frame, ``_object_views`` the view each object
    was seen in, and the current view ``_feats`` / ``_meta``, where the
    template rows of new objects and corrections are sampled.
    """

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
        self._img, self._frame_meta = img, img_meta
        groups = self._set_views(model)
        self.frame += 1
        if groups is None:
            return self._view_candidates(model, lean, 0, None)
        # split search windows: each view's objects, put back in order
        candidates: List[Optional[InstanceData]] = [None] * self.num_objects
        mask_fns, has_masks = [], True
        for v in range(len(self._views)):
            objs = [k for k, g in enumerate(groups) if g == v]
            cands, masks = self._view_candidates(model, lean, v, objs)
            for k, c in zip(objs, cands):
                candidates[k] = c
            mask_fns.append((objs, masks))
            has_masks = has_masks and masks is not None
        if not has_masks:
            return candidates, None

        def masks(obj_inds: Sequence[int], cand_inds: Sequence[int]):
            out = None
            for v, (objs, fn) in enumerate(mask_fns):
                sel = [i for i, k in enumerate(obj_inds) if groups[k] == v]
                if not sel:
                    continue
                part = fn([objs.index(obj_inds[i]) for i in sel],
                          [cand_inds[i] for i in sel])
                if out is None:
                    out = part.new_zeros(len(obj_inds), *part.shape[1:])
                out[sel] = part
            return mask_fns[0][1]([], []) if out is None else out

        return candidates, masks

    def _view_candidates(self, model, lean: Optional[bool], view: int,
                         objects: Optional[List[int]]
                         ) -> Tuple[List[InstanceData], Optional[Callable]]:
        """Candidates of ``objects`` (all when None) in one view, in frame
        pixels; the view becomes the current one."""
        self._use_view(view)
        feats, meta = self._feats, self._meta
        templates, last = self.templates, self.last.bboxes
        if objects is not None:
            templates, last = templates[objects], last[objects]
        extra = None if self.track_proposals is None else list(
            scaled_boxes(self.to_input(last), self.track_proposals,
                         meta['img_shape']))
        out = model.predict_candidates(
            feats,
            templates,
            meta,
            rescale=True,
            lean=lean,
            lazy_masks=True,
            extra_proposals=extra)
        if self.search is not None:
            out = self.search.to_frame(*out, meta)
        return out

    def _set_views(self, model) -> Optional[List[int]]:
        """See the stored frame through the search region's windows (one
        view: the whole frame or the window holding all objects) and make
        the first view current.

        Returns:
            list[int] or None: The view of each object, None when there is
            one view.
        """
        num = len(self.search.centres) if self.search is not None else 0
        groups = None
        if self.search is None or not self.search.split_windows or num < 2:
            self._views = [self._view(model)]
        else:
            self._views, groups = [], [0] * num
            for v, (objs, window) in enumerate(
                    self.search.windows(self.frame_shape)):
                self._views.append(self._window_view(model, window))
                for k in objs:
                    groups[k] = v
        self._object_views = [0] * self.num_objects if groups is None \
            else groups[:self.num_objects]
        self._use_view(0)
        return groups

    def _use_view(self, view: int) -> None:
        """Make a stored view the current one (``_feats``, ``_meta``)."""
        self._feats, self._meta = self._views[view]

    def _current_view(self) -> int:
        """Index of the current view in ``_views`` (stored if it is not)."""
        for v, (feats, _) in enumerate(self._views):
            if feats is self._feats:
                return v
        self._views.append((self._feats, self._meta))
        return len(self._views) - 1

    def use_object_view(self, k: int) -> None:
        """Make the view object ``k`` was last seen in the current one."""
        if self._object_views and len(self._views) > 1:
            self._use_view(self._object_views[k])

    def _view(self, model, boxes: Optional[Tensor] = None
              ) -> Tuple[Tuple[Tensor], dict]:
        """FPN features of the stored frame and the meta of their input:
        the whole frame, or with a search region its window (holding
        ``boxes`` too when given)."""
        if self.search is None:
            return model.extract_feat(self._img), self._frame_meta
        return self._window_view(model,
                                 self.search.window(self.frame_shape, boxes))

    def _window_view(self, model, window) -> Tuple[Tuple[Tensor], dict]:
        """FPN features of a search window of the stored frame, and the
        meta of that input."""
        crop, meta = self.search.crop(self._img, self._frame_meta, window)
        return model.extract_feat(crop), meta

    def _look_at(self, model, boxes: Tensor) -> None:
        """Make sure the stored features show ``boxes`` (frame pixels):
        with a search region whose window misses one of them, the stored
        frame is seen again through a window holding them (one more
        backbone pass, only then)."""
        if self.search is None or self._img is None:
            return
        b = boxes.float().cpu()
        for feats, meta in [(self._feats, self._meta)] + self._views:
            ox, oy = meta['crop_origin']
            ch, cw = meta['ori_shape'][:2]
            inside = (b[:, 0] >= ox - 1) & (b[:, 1] >= oy - 1) & (
                b[:, 2] <= ox + cw + 1) & (b[:, 3] <= oy + ch + 1)
            if bool(inside.all()):
                self._feats, self._meta = feats, meta
                return
        self._feats, self._meta = self._view(model, boxes)
        self._views.append((self._feats, self._meta))

    def to_input(self, bboxes: Tensor) -> Tensor:
        """Boxes (n, 4) in frame pixels -> pixels of the stored features'
        input (the resized frame, or the search window)."""
        meta = self._meta
        ox, oy = meta.get('crop_origin', (0., 0.))
        shift = bboxes.new_tensor([ox, oy, ox, oy])
        return scale_boxes(bboxes.float() - shift, meta['scale_factor'])
