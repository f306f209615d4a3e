# Copyright (c) mmtao contributors. All rights reserved.
from functools import partial
from typing import Callable, List, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmcv.ops import RoIAlign
from mmdet.models.utils import empty_instances
from mmdet.structures.bbox import bbox2roi, scale_boxes
from mmdet.utils import InstanceList, OptConfigType
from mmengine.structures import InstanceData
from torch import Tensor

from ..layers import (PyramidTable, first_kept_batched_nms,
                      gathered_roi_align)


class LeanTrackMixin:
    """The lean track step of :class:`~mmtao.models.roi_heads.JointRoIHead`:
    the candidates of K templates on one frame in batched calls.

    Gives the outputs of the head's ``predict_track`` (mmdet's per-image
    predict paths, the reference it is tested against) with one RoI
    feature extraction, one box head and one mask head call for all
    templates; the masks are pasted by the mask head's ``paste_masks``.
    Needs the RoI head's ``tracking`` context, ``predict_track``,
    ``refine_track_bboxes``, box / mask heads and extractors.
    """

    def predict_track_lean(self,
                           feats: Sequence[Tensor],
                           sims: Sequence[Tensor],
                           x: Sequence[Tensor],
                           img_meta: dict,
                           rpn_results_list: InstanceList,
                           rcnn_test_cfg: OptConfigType = None,
                           rescale: bool = False,
                           with_mask: bool = True,
                           gathered_min_rois: int = 1,
                           lazy_masks: bool = False
                           ) -> Union[InstanceList, Tuple[InstanceList,
                                                          Callable]]:
        """:meth:`predict_track` for K templates on one frame, batched.

        Same outputs as :meth:`predict_track` (tested to 1e-4): one RoI
        feature extraction, box head and mask head call for all K x
        proposals, one box decoding and one mask pasting call for all
        templates (they share the frame: the mask head's ``paste_masks``);
        only NMS runs per template (mmcv's op, on the same inputs as
        mmdet's, so that it keeps the same boxes).
        RoI features of a set of at least ``gathered_min_rois`` RoIs come
        from one :func:`gathered_roi_align` call for all levels and
        templates (the attended levels are never built for it), smaller
        sets from mmcv's RoIAlign on the attended levels ``x``.

        Args:
            feats (Sequence[Tensor]): The frame's FPN levels (1, C, H, W).
            sims (Sequence[Tensor]): Similarity maps (K, 1, H, W) per level.
            x (Sequence[Tensor]): Attended levels ``feats * sims``
                (K, C, H, W).
            img_meta (dict): Meta of the frame.
            rpn_results_list (list[:obj:`InstanceData`]): K proposal sets.
            rcnn_test_cfg (dict or ConfigDict, optional): Tracking RCNN
                test config. Defaults to the detection ``test_cfg``.
            rescale (bool): Original image coordinates. Defaults to False.
            with_mask (bool): Predict masks. Defaults to True.
            gathered_min_rois (int): See above; 0 or less = always mmcv.
                Defaults to 1.
            lazy_masks (bool): With ``with_mask``, return the candidates
                without masks and a function ``masks(obj_inds, cand_inds)``
                that computes the masks of the chosen candidates only (one
                RoI extraction, mask head and pasting call; each mask as in
                the full path): ``(results_list, masks)``. Defaults to False.

        Returns:
            list[:obj:`InstanceData`]: As :meth:`predict_track` (a pair with
            ``lazy_masks``, see above).
        """
        cfg = self.test_cfg if rcnn_test_cfg is None else rcnn_test_cfg
        with_mask = with_mask and self.with_mask
        num = len(rpn_results_list)
        metas = [img_meta] * num
        rois = bbox2roi([res.bboxes for res in rpn_results_list])
        tables = {}
        if rois.size(0) == 0:
            results_list = self.predict_track(x, metas, rpn_results_list, cfg,
                                              rescale, with_mask)
            if with_mask and lazy_masks:  # no candidate: no mask is asked
                return results_list, partial(
                    self._candidate_masks, feats, sims, x, tables, img_meta,
                    cfg, rescale, gathered_min_rois,
                    [res.bboxes for res in results_list])
            return results_list
        with self.tracking(cfg):
            head = self.bbox_head
            roi_feats = self._lean_roi_feats(self.bbox_roi_extractor, feats,
                                             sims, x, tables, rois,
                                             gathered_min_rois)
            cls_score, bbox_pred = head(roi_feats)
            scores = F.softmax(cls_score, dim=-1)
            bboxes = head.bbox_coder.decode(
                rois[:, 1:],
                bbox_pred.view(-1, head.bbox_coder.encode_size),
                max_shape=img_meta['img_shape'])
            num_iters = int(cfg.get('refine_iters', 0))
            unscale = [1 / s for s in img_meta['scale_factor']]
            if rescale and not with_mask and not num_iters:
                bboxes = scale_boxes(bboxes, unscale)
            counts = [len(res) for res in rpn_results_list]
            results_list = []
            for k_bboxes, k_scores in zip(
                    bboxes.split(counts), scores.split(counts)):
                results_list.append(self._nms_single(k_bboxes, k_scores, cfg))
            if num_iters:
                self.refine_track_bboxes(
                    lambda rois: head(
                        self._lean_roi_feats(self.bbox_roi_extractor, feats,
                                             sims, x, tables, rois,
                                             gathered_min_rois))[1],
                    results_list, img_meta, num_iters)
                if rescale and not with_mask:
                    for res in results_list:
                        res.bboxes = scale_boxes(res.bboxes, unscale)
            if with_mask and not lazy_masks:
                results_list = self._lean_masks(feats, sims, x, tables,
                                                img_meta, results_list, cfg,
                                                rescale, gathered_min_rois)
        for i, results in enumerate(results_list):
            if len(results) > 1:
                order = torch.argsort(results.scores, descending=True)
                results_list[i] = results[order]
        if not (with_mask and lazy_masks):
            return results_list
        # the masks' RoIs are the boxes in input coordinates; the results
        # get mmdet's rescaled boxes (paste_masks divides the same way)
        input_bboxes = [res.bboxes for res in results_list]
        if rescale:
            scale_factor = rois.new_tensor(img_meta['scale_factor']).repeat(
                (1, 2))
            for res in results_list:
                res.bboxes = res.bboxes / scale_factor
        masks = partial(self._candidate_masks, feats, sims, x, tables,
                        img_meta, cfg, rescale, gathered_min_rois,
                        input_bboxes)
        return results_list, masks

    def _candidate_masks(self, feats, sims, x, tables, img_meta: dict, cfg,
                         rescale: bool, gathered_min_rois: int,
                         input_bboxes: List[Tensor], obj_inds: Sequence[int],
                         cand_inds: Sequence[int]) -> Tensor:
        """Masks of some candidates of a lazy :meth:`predict_track_lean`.

        Args:
            obj_inds (Sequence[int]): Template of each wanted mask.
            cand_inds (Sequence[int]): Its candidate (row of that template's
                results).

        Returns:
            Tensor: (n, H, W) masks, as the full path pastes them.
        """
        if len(obj_inds) == 0:  # the empty canvas the full path pastes on
            return self.mask_head.paste_masks(
                feats[0].new_zeros(0, 1, 1, 1), feats[0].new_zeros(0, 4),
                img_meta, cfg, rescale)
        obj = torch.as_tensor(obj_inds, dtype=torch.long)
        boxes = torch.cat([input_bboxes[k][i:i + 1]
                           for k, i in zip(obj_inds, cand_inds)])
        rois = torch.cat([obj.to(boxes)[:, None], boxes], 1)
        with self.tracking(cfg):
            roi_feats = self._lean_roi_feats(self.mask_roi_extractor, feats,
                                             sims, x, tables, rois,
                                             gathered_min_rois)
            mask_preds = self.mask_head(roi_feats)
        return self.mask_head.paste_masks(mask_preds, boxes.clone(),
                                          img_meta, cfg, rescale)

    @staticmethod
    def _nms_single(bboxes: Tensor, scores: Tensor,
                    cfg: OptConfigType) -> InstanceData:
        """mmdet's ``multiclass_nms`` for one class-agnostic image."""
        scores = scores[:, :-1].reshape(-1)
        inds = (scores > cfg.score_thr).nonzero()[:, 0]
        bboxes, scores = bboxes[inds], scores[inds]
        labels = scores.new_zeros(len(scores), dtype=torch.long)
        if bboxes.numel() > 0:
            dets, keep = first_kept_batched_nms(bboxes, scores, labels,
                                                cfg.nms, cfg.max_per_img)
            bboxes, scores, labels = dets[:, :-1], dets[:, -1], labels[keep]
        return InstanceData(bboxes=bboxes, scores=scores, labels=labels)

    def _lean_masks(self, feats, sims, x, tables, img_meta: dict,
                    results_list: InstanceList, cfg, rescale: bool,
                    gathered_min_rois: int) -> InstanceList:
        """Masks of all templates' candidates: one RoI extraction, one mask
        head call, one pasting call (mmdet's, so pasting is unchanged)."""
        bboxes = [res.bboxes for res in results_list]
        mask_rois = bbox2roi(bboxes)
        if mask_rois.size(0) == 0:
            return empty_instances([img_meta] * len(results_list),
                                   mask_rois.device,
                                   task_type='mask',
                                   instance_results=results_list,
                                   mask_thr_binary=cfg.mask_thr_binary)
        roi_feats = self._lean_roi_feats(self.mask_roi_extractor, feats, sims,
                                         x, tables, mask_rois,
                                         gathered_min_rois)
        mask_preds = self.mask_head(roi_feats)
        all_bboxes = torch.cat(bboxes)  # rescaled in place when rescale
        masks = self.mask_head.paste_masks(mask_preds, all_bboxes, img_meta,
                                           cfg, rescale)
        counts = [len(b) for b in bboxes]
        for res, k_bboxes, k_masks in zip(results_list,
                                          all_bboxes.split(counts),
                                          masks.split(counts)):
            res.bboxes = k_bboxes
            res.masks = k_masks
        return results_list

    @staticmethod
    def _lean_roi_feats(extractor, feats, sims, x, tables: dict,
                        rois: Tensor, gathered_min_rois: int) -> Tensor:
        """mmdet's ``SingleLevelRoIExtractor`` forward on the attended
        levels.

        Sets of at least ``gathered_min_rois`` RoIs are extracted by one
        :func:`gathered_roi_align` call for all levels and templates, from
        the frame's :class:`PyramidTable` (built once per frame and number
        of levels, cached in ``tables`` between the box and mask
        extractions); smaller sets, or extractors other than average
        RoIAlign, by mmcv's op level by level on the attended levels ``x``.
        """
        num_levels = len(extractor.featmap_strides)
        layers = extractor.roi_layers
        target_lvls = extractor.map_roi_levels(rois, num_levels) \
            if num_levels > 1 else rois.new_zeros(len(rois), dtype=torch.long)
        first = layers[0]
        if 0 < gathered_min_rois <= len(rois) and all(
                isinstance(layer, RoIAlign) and layer.pool_mode == 'avg'
                and layer.output_size == first.output_size
                and layer.sampling_ratio == first.sampling_ratio
                and layer.aligned == first.aligned for layer in layers):
            if num_levels not in tables:
                tables[num_levels] = PyramidTable(feats[:num_levels],
                                                  sims[:num_levels])
            return gathered_roi_align(
                tables[num_levels], rois, target_lvls,
                [layer.spatial_scale for layer in layers], first.output_size,
                first.sampling_ratio, first.aligned)
        roi_feats = None
        for i in range(num_levels):
            inds = (target_lvls == i).nonzero()[:, 0]
            if inds.numel() == 0:
                continue
            # all RoIs on one level (usual for one object): no scatter
            if inds.numel() == len(rois):
                return layers[i](x[i], rois)
            out = layers[i](x[i], rois[inds])
            if roi_feats is None:
                roi_feats = out.new_zeros(len(rois), *out.shape[1:])
            roi_feats[inds] = out
        if roi_feats is None:  # no RoI
            roi_feats = feats[0].new_zeros(0, extractor.out_channels,
                                           *layers[0].output_size)
        return roi_feats
