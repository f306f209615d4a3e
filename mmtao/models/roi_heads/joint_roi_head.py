# Copyright (c) mmtao contributors. All rights reserved.
from contextlib import contextmanager
from functools import partial
from typing import Callable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmcv.ops import RoIAlign
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.models.utils import empty_instances
from mmdet.structures.bbox import bbox2roi, scale_boxes
from mmdet.utils import InstanceList, OptConfigType
from mmengine.structures import InstanceData
from torch import Tensor

from mmtao.registry import MODELS
from ..layers import (PyramidTable, first_kept_batched_nms,
                      gathered_roi_align)


@MODELS.register_module()
class JointRoIHead(StandardRoIHead):
    """Mask R-CNN RoI head with detection and tracking modes (Sec. 3.3).

    Outside :meth:`tracking` it is exactly mmdet's ``StandardRoIHead``.
    Inside, its box and mask heads (``JointConvFCBBoxHead``,
    ``JointFCNMaskHead``) switch to their class-agnostic tracking final
    layers; everything else (RoI extractors, shared convs/fcs, assigner,
    sampler) is shared.

    The mask loss is computed only on the images whose ground truth carries
    ``masks``: tracking pairs from box-only video datasets (ImageNet VID in
    the paper) give box losses only.
    """

    def init_bbox_head(self, bbox_roi_extractor, bbox_head) -> None:
        """Build the box head and check it has tracking layers."""
        super().init_bbox_head(bbox_roi_extractor, bbox_head)
        if not hasattr(self.bbox_head, 'fc_cls_track'):
            raise TypeError(
                'JointRoIHead needs a bbox head with tracking layers such as '
                'JointShared2FCBBoxHead, got '
                f'{type(self.bbox_head).__name__}')

    def init_mask_head(self, mask_roi_extractor, mask_head) -> None:
        """Build the mask head and check it has a tracking layer."""
        super().init_mask_head(mask_roi_extractor, mask_head)
        if not hasattr(self.mask_head, 'conv_logits_track'):
            raise TypeError(
                'JointRoIHead needs a mask head with a tracking layer such as '
                f'JointFCNMaskHead, got {type(self.mask_head).__name__}')

    @contextmanager
    def tracking(self, test_cfg: OptConfigType = None) -> Iterator[None]:
        """Context in which the heads use their tracking final layers.

        Args:
            test_cfg (dict or ConfigDict, optional): RCNN test config to use
                meanwhile (e.g. a smaller budget for tracking); restored on
                exit.
        """
        heads = [self.bbox_head]
        if self.with_mask:
            heads.append(self.mask_head)
        old_cfg = self.test_cfg
        if test_cfg is not None:
            self.test_cfg = test_cfg
        for head in heads:
            head.tracking = True
        try:
            yield
        finally:
            for head in heads:
                head.tracking = False
            self.test_cfg = old_cfg

    def mask_loss(self, x: Tuple[Tensor],
                  sampling_results: List[SamplingResult], bbox_feats: Tensor,
                  batch_gt_instances: InstanceList) -> dict:
        """Mask loss on the images that have ground-truth masks.

        Args:
            x (tuple[Tensor]): Multi-level features of the batch.
            sampling_results (list[:obj:`SamplingResult`]): Per image.
            bbox_feats (Tensor): RoI features of the box branch.
            batch_gt_instances (list[:obj:`InstanceData`]): Per image; some
                may lack ``masks``.

        Returns:
            dict: ``loss_mask`` (a zero connected to the mask head when no
            image has masks) and, when computed, ``mask_preds``.
        """
        keep = [i for i, gt in enumerate(batch_gt_instances) if 'masks' in gt]
        if len(keep) == len(batch_gt_instances):
            return super().mask_loss(x, sampling_results, bbox_feats,
                                     batch_gt_instances)
        if not keep:
            # keeps every parameter in the graph (DDP) with no gradient
            zero = sum(p.sum() for p in self.mask_head.parameters()) * 0.
            return dict(loss_mask=dict(loss_mask=zero))
        x_keep = tuple(feat[keep] for feat in x)
        results = [sampling_results[i] for i in keep]
        pos_rois = bbox2roi([res.pos_priors for res in results])
        mask_results = self._mask_forward(x_keep, pos_rois)
        loss_and_target = self.mask_head.loss_and_target(
            mask_preds=mask_results['mask_preds'],
            sampling_results=results,
            batch_gt_instances=[batch_gt_instances[i] for i in keep],
            rcnn_train_cfg=self.train_cfg)
        mask_results.update(loss_mask=loss_and_target['loss_mask'])
        return mask_results

    def predict_track(self,
                      x: Tuple[Tensor],
                      batch_img_metas: List[dict],
                      rpn_results_list: InstanceList,
                      rcnn_test_cfg: OptConfigType = None,
                      rescale: bool = False,
                      with_mask: bool = True) -> InstanceList:
        """Class-agnostic candidates of the tracked objects.

        Args:
            x (tuple[Tensor]): Attended features, one image per template.
            batch_img_metas (list[dict]): Meta of each (template, image).
            rpn_results_list (list[:obj:`InstanceData`]): Proposals.
            rcnn_test_cfg (dict or ConfigDict, optional): Tracking RCNN test
                config (``max_per_img`` = number of candidates). Defaults to
                the detection ``test_cfg``.
            rescale (bool): Return boxes and masks in original image
                coordinates. Defaults to False.
            with_mask (bool): Predict masks (when the head has a mask
                branch). Box-only consumers can skip the mask branch.
                Defaults to True.

        Returns:
            list[:obj:`InstanceData`]: Per template ``bboxes`` (k, 4),
            ``scores`` (k, ), ``labels`` (k, ) zeros and, with a mask head,
            ``masks`` (k, H, W), sorted by score.
        """
        cfg = self.test_cfg if rcnn_test_cfg is None else rcnn_test_cfg
        with_mask = with_mask and self.with_mask
        with self.tracking(cfg):
            # as mmdet's StandardRoIHead.predict: boxes stay in input
            # coordinates for the mask head, which rescales both
            results_list = self.predict_bbox(
                x,
                batch_img_metas,
                rpn_results_list,
                cfg,
                rescale=rescale and not with_mask)
            if with_mask:
                results_list = self.predict_mask(
                    x, batch_img_metas, results_list, rescale=rescale)
        for i, results in enumerate(results_list):
            if len(results) > 1:
                order = torch.argsort(results.scores, descending=True)
                results_list[i] = results[order]
        return results_list

    # ------------------------------------------------------------------ #
    # the lean track step: K templates on one frame
    # ------------------------------------------------------------------ #
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
        templates (they share the frame: :meth:`_paste_masks`); only NMS
        runs per template (mmcv's op, on the same inputs as mmdet's, so that
        it keeps the same boxes).
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
            if rescale and not with_mask:
                bboxes = scale_boxes(bboxes,
                                     [1 / s for s in img_meta['scale_factor']])
            counts = [len(res) for res in rpn_results_list]
            results_list = []
            for k_bboxes, k_scores in zip(
                    bboxes.split(counts), scores.split(counts)):
                results_list.append(self._nms_single(k_bboxes, k_scores, cfg))
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
        # get mmdet's rescaled boxes (_paste_masks divides the same way)
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
            return self._paste_masks(feats[0].new_zeros(0, 1, 1, 1),
                                     feats[0].new_zeros(0, 4), img_meta, cfg,
                                     rescale)
        obj = torch.as_tensor(obj_inds, dtype=torch.long)
        boxes = torch.cat([input_bboxes[k][i:i + 1]
                           for k, i in zip(obj_inds, cand_inds)])
        rois = torch.cat([obj.to(boxes)[:, None], boxes], 1)
        with self.tracking(cfg):
            roi_feats = self._lean_roi_feats(self.mask_roi_extractor, feats,
                                             sims, x, tables, rois,
                                             gathered_min_rois)
            mask_preds = self.mask_head(roi_feats)
        return self._paste_masks(mask_preds, boxes.clone(), img_meta, cfg,
                                 rescale)

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
        masks = self._paste_masks(mask_preds, all_bboxes, img_meta, cfg,
                                  rescale)
        counts = [len(b) for b in bboxes]
        for res, k_bboxes, k_masks in zip(results_list,
                                          all_bboxes.split(counts),
                                          masks.split(counts)):
            res.bboxes = k_bboxes
            res.masks = k_masks
        return results_list

    @staticmethod
    def _paste_masks(mask_preds: Tensor, bboxes: Tensor, img_meta: dict,
                     cfg, rescale: bool) -> Tensor:
        """mmdet's ``FCNMaskHead._predict_by_feat_single`` (CPU, class-
        agnostic) in one ``grid_sample`` call for all masks.

        Every mask is sampled on its own padded window (mmdet pastes mask by
        mask into the box +- 1 pixel), with the same pixel coordinates and
        float operations, so the pasted masks are mmdet's.

        Args:
            mask_preds (Tensor): (n, 1, h, w) logits.
            bboxes (Tensor): (n, 4) boxes in input coordinates; divided by
                the scale factor in place when ``rescale`` (as mmdet does).
            img_meta (dict): ``ori_shape``, ``scale_factor``.
            cfg (ConfigDict): ``mask_thr_binary``.
            rescale (bool): Masks of the original image size.

        Returns:
            Tensor: (n, H, W) bool masks (uint8 0..255 when
            ``mask_thr_binary`` < 0).
        """
        scale_factor = bboxes.new_tensor(img_meta['scale_factor']).repeat(
            (1, 2))
        img_h, img_w = img_meta['ori_shape'][:2]
        if rescale:
            bboxes /= scale_factor
        else:
            img_h = int(np.round(img_h * scale_factor[0, 1].item()))
            img_w = int(np.round(img_w * scale_factor[0, 0].item()))
        probs = mask_preds.sigmoid()
        num = len(probs)
        threshold = cfg.mask_thr_binary
        im_mask = torch.zeros(
            num,
            img_h,
            img_w,
            device=bboxes.device,
            dtype=torch.bool if threshold >= 0 else torch.uint8)
        x0_int = (bboxes[:, 0].floor() - 1).clamp(min=0).to(torch.int32)
        y0_int = (bboxes[:, 1].floor() - 1).clamp(min=0).to(torch.int32)
        x1_int = (bboxes[:, 2].ceil() + 1).clamp(max=img_w).to(torch.int32)
        y1_int = (bboxes[:, 3].ceil() + 1).clamp(max=img_h).to(torch.int32)
        win_w = (x1_int - x0_int).clamp(min=0)
        win_h = (y1_int - y0_int).clamp(min=0)
        if num == 0:
            return im_mask
        max_w, max_h = int(win_w.max()), int(win_h.max())
        if max_w == 0 or max_h == 0:
            return im_mask
        x0, y0, x1, y1 = torch.split(bboxes, 1, dim=1)
        cols = x0_int[:, None] + torch.arange(
            max_w, device=bboxes.device, dtype=torch.int32)[None]
        rows = y0_int[:, None] + torch.arange(
            max_h, device=bboxes.device, dtype=torch.int32)[None]
        img_x = (cols.to(torch.float32) + 0.5 - x0) / (x1 - x0) * 2 - 1
        img_y = (rows.to(torch.float32) + 0.5 - y0) / (y1 - y0) * 2 - 1
        img_x = torch.where(torch.isinf(img_x), 0, img_x)
        img_y = torch.where(torch.isinf(img_y), 0, img_y)
        grid = torch.stack([
            img_x[:, None, :].expand(num, max_h, max_w),
            img_y[:, :, None].expand(num, max_h, max_w)
        ],
                           dim=3)
        pasted = F.grid_sample(
            probs.to(torch.float32), grid, align_corners=False)[:, 0]
        if threshold >= 0:
            pasted = pasted >= threshold
        else:
            pasted = (pasted * 255).to(torch.uint8)
        # each mask into its window (slices: cheaper than an indexed put)
        for i, (x0, y0, w, h) in enumerate(
                zip(x0_int.tolist(), y0_int.tolist(), win_w.tolist(),
                    win_h.tolist())):
            im_mask[i, y0:y0 + h, x0:x0 + w] = pasted[i, :h, :w]
        return im_mask

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
