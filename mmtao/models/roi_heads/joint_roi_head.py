# Copyright (c) mmtao contributors. All rights reserved.
from contextlib import contextmanager
from typing import Callable, Iterator, List, Tuple

import torch
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.structures.bbox import bbox2roi, scale_boxes
from mmdet.utils import InstanceList, OptConfigType
from mmengine.structures import InstanceData
from torch import Tensor

from mmtao.registry import MODELS
from .lean_track_mixin import LeanTrackMixin


@MODELS.register_module()
class JointRoIHead(LeanTrackMixin, StandardRoIHead):
    """Mask R-CNN RoI head with detection and tracking modes (Sec. 3.3).

    Outside :meth:`tracking` it is exactly mmdet's ``StandardRoIHead``.
    Inside, its box and mask heads (``JointConvFCBBoxHead``,
    ``JointFCNMaskHead``) switch to their class-agnostic tracking final
    layers; everything else (RoI extractors, shared convs/fcs, assigner,
    sampler) is shared.

    The mask loss is computed only on the images whose ground truth carries
    ``masks``: tracking pairs from box-only video datasets (ImageNet VID in
    the paper) give box losses only.

    ``predict_track`` gives the candidates of tracked objects on mmdet's
    per-image paths; ``predict_track_lean`` (:class:`LeanTrackMixin`) the
    same for K templates on one frame in batched calls. Both refine the
    candidates' boxes ``refine_iters`` more times (tracking RCNN config,
    default 0; :meth:`refine_track_bboxes`).
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
        """Build the mask head and check it has a tracking layer (and the
        batched pasting of the lean track step)."""
        super().init_mask_head(mask_roi_extractor, mask_head)
        if not (hasattr(self.mask_head, 'conv_logits_track')
                and hasattr(self.mask_head, 'paste_masks')):
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
        num_iters = int(cfg.get('refine_iters', 0))
        with self.tracking(cfg):
            # as mmdet's StandardRoIHead.predict: boxes stay in input
            # coordinates for the mask head, which rescales both
            results_list = self.predict_bbox(
                x,
                batch_img_metas,
                rpn_results_list,
                cfg,
                rescale=rescale and not with_mask and not num_iters)
            if num_iters:
                meta = batch_img_metas[0]
                results_list = self.refine_track_bboxes(
                    lambda rois: self._bbox_forward(x, rois)['bbox_pred'],
                    results_list, meta, num_iters)
                if rescale and not with_mask:
                    for res in results_list:
                        res.bboxes = scale_boxes(
                            res.bboxes, [1 / s for s in meta['scale_factor']])
            if with_mask:
                results_list = self.predict_mask(
                    x, batch_img_metas, results_list, rescale=rescale)
        for i, results in enumerate(results_list):
            if len(results) > 1:
                order = torch.argsort(results.scores, descending=True)
                results_list[i] = results[order]
        return results_list

    def refine_track_bboxes(self, bbox_pred_fn: Callable[[Tensor], Tensor],
                            results_list: InstanceList, img_meta: dict,
                            num_iters: int) -> InstanceList:
        """Regress the tracking candidates' boxes again, ``num_iters`` times.

        Cascade R-CNN's iterative box regression with one head: each
        candidate's box (after NMS) is taken as a RoI and moved by the box
        head's class-agnostic deltas (mmdet's ``regress_by_class``). A box
        that covers a part of the object or overshoots it is regressed from
        where the first pass left it, closer to the object than one step
        from the proposal gets. Scores, their order and the number of
        candidates stay those of the first pass. Call inside
        :meth:`tracking`; boxes in input coordinates.

        Args:
            bbox_pred_fn (Callable): RoIs (n, 5) -> box deltas (n, 4) of the
                box head on the attended features.
            results_list (list[:obj:`InstanceData`]): Per template
                candidates with ``bboxes`` (k, 4); updated in place.
            img_meta (dict): Meta of the frame (its ``img_shape`` clips).
            num_iters (int): Refinement passes.

        Returns:
            list[:obj:`InstanceData`]: ``results_list``.
        """
        counts = [len(res) for res in results_list]
        for _ in range(num_iters):
            rois = bbox2roi([res.bboxes for res in results_list])
            if rois.size(0) == 0:
                break
            bboxes = self.bbox_head.regress_by_class(rois[:, 1:], None,
                                                     bbox_pred_fn(rois),
                                                     img_meta)
            for res, k_bboxes in zip(results_list, bboxes.split(counts)):
                res.bboxes = k_bboxes
        return results_list
