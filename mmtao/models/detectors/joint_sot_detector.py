# Copyright (c) mmtao contributors. All rights reserved.
import copy
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmdet.models.detectors import MaskRCNN
from mmdet.structures import DetDataSample, SampleList
from mmdet.structures.bbox import scale_boxes
from mmdet.utils import ConfigType, InstanceList, OptConfigType, OptMultiConfig
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmtao.registry import MODELS
from ..heads.ridge_template_head import check_template_bboxes
from ..layers import (AttendedLevels, attended_conv3x3,
                      first_kept_batched_nms)
from ..trackers import build_tracker


@MODELS.register_module()
class JointSOTDetector(MaskRCNN):
    """Mask R-CNN that detects and tracks ("Learning to Track Any Object").

    Detection mode (no template): the neck's template attention is off and
    the RoI head uses its class-specific final layers, so the model is an
    ordinary mmdet Mask R-CNN (``loss`` / ``predict`` on ``DetDataSample``
    lists, weights loadable from an OpenMMLab Mask R-CNN checkpoint: only the
    tracking layers are new).

    Tracking mode (Sec. 3.2-3.5): the template head turns the template
    frame's FPN features and box into a template ``T_d``; the neck
    re-weights the search frame's pyramid with ``P_i . (P_i * T_d)``; the
    shared RPN and RoI heads then run with the RoI head's class-agnostic
    final layers. ``init(img, bboxes)`` stores K templates and
    ``track(img)`` returns the top-k candidates of each with one
    backbone+FPN pass.

    Args:
        backbone (dict or ConfigDict): Backbone config.
        neck (dict or ConfigDict): A ``TemplateAttentionNeck`` config.
        rpn_head (dict or ConfigDict): RPN head config.
        roi_head (dict or ConfigDict): A ``JointRoIHead`` config.
        template_head (dict or ConfigDict): A ``RidgeTemplateHead`` config;
            ``featmap_strides`` and ``finest_scale`` default to the box RoI
            extractor's, so the template level follows the RoI level rule of
            the same model.
        train_cfg (dict or ConfigDict): mmdet's ``rpn`` / ``rpn_proposal`` /
            ``rcnn`` plus ``det_loss_weight`` and ``track_loss_weight``
            (default 1.0).
        test_cfg (dict or ConfigDict): mmdet's ``rpn`` / ``rcnn`` for
            detection, ``track=dict(rpn=..., rcnn=...)`` for tracking (a
            smaller proposal budget; ``rcnn.max_per_img`` is the number of
            candidates k; ``with_mask=False`` skips the candidates' masks
            for box-only use) and ``temporal`` (a ``TemporalSmoother``
            config or None).
        data_preprocessor (dict or ConfigDict, optional): Usually a
            ``JointDataPreprocessor`` config.
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 neck: ConfigType,
                 rpn_head: ConfigType,
                 roi_head: ConfigType,
                 template_head: ConfigType,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        if test_cfg is None or test_cfg.get('track') is None:
            raise ValueError('JointSOTDetector needs test_cfg.track = '
                             'dict(rpn=..., rcnn=...) for tracking')
        if 'separable_min_rois' in test_cfg['track']:  # renamed option
            raise ValueError('test_cfg.track.separable_min_rois was replaced '
                             'by gathered_min_rois (see predict_candidates)')
        super().__init__(
            backbone=backbone,
            neck=neck,
            rpn_head=rpn_head,
            roi_head=roi_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        if not hasattr(self.neck, 'attend'):
            raise TypeError('JointSOTDetector needs a neck with template '
                            'attention (TemplateAttentionNeck), got '
                            f'{type(self.neck).__name__}')
        if not hasattr(self.roi_head, 'predict_track'):
            raise TypeError('JointSOTDetector needs a RoI head with tracking '
                            'layers (JointRoIHead), got '
                            f'{type(self.roi_head).__name__}')
        template_head = copy.deepcopy(template_head)
        extractor = self.roi_head.bbox_roi_extractor
        template_head.setdefault('featmap_strides', extractor.featmap_strides)
        template_head.setdefault('finest_scale', extractor.finest_scale)
        self.template_head = MODELS.build(template_head)
        # test-time state: templates of the objects being tracked
        self._templates: Optional[Tensor] = None
        self._sot_tracker = None

    # ------------------------------------------------------------------ #
    # training
    # ------------------------------------------------------------------ #
    def loss(
            self, batch_inputs: Union[Tensor, Dict[str, Optional[Tensor]]],
            batch_data_samples: Union[SampleList, Dict[str,
                                                       SampleList]]) -> dict:
        """Losses of a mixed detection + tracking batch (contract §4).

        Args:
            batch_inputs (dict or Tensor): ``dict(det=Tensor[Nd, 3, H, W],
                template=Tensor[Nt, 3, H, W], search=Tensor[Nt, 3, H, W])``
                from ``JointDataPreprocessor`` (any entry may be None), or a
                plain detection batch Tensor[N, 3, H, W].
            batch_data_samples (dict or list[:obj:`DetDataSample`]):
                ``dict(det=[...], track=[...])``, or a list for a plain
                detection batch. Tracking samples describe the search frame
                and carry ``template_bbox`` in their metainfo.

        Returns:
            dict: Detection losses prefixed ``det_`` (weighted by
            ``train_cfg.det_loss_weight``) and tracking losses prefixed
            ``track_`` (weighted by ``train_cfg.track_loss_weight``).
        """
        if isinstance(batch_inputs, Tensor):
            batch_inputs = dict(det=batch_inputs)
            batch_data_samples = dict(det=batch_data_samples)
        if not isinstance(batch_inputs, dict) or not isinstance(
                batch_data_samples, dict):
            raise TypeError('JointSOTDetector.loss expects the dicts of '
                            'JointDataPreprocessor or a detection Tensor')
        losses = dict()
        det_inputs = batch_inputs.get('det')
        if det_inputs is not None and len(det_inputs):
            x = self.extract_feat(det_inputs)
            det_losses = self._heads_loss(x, batch_data_samples['det'])
            losses.update(
                self._weighted(det_losses, 'det_',
                               self.train_cfg.get('det_loss_weight', 1.0)))
        search = batch_inputs.get('search')
        if search is not None and len(search):
            track_losses = self.track_loss(batch_inputs['template'], search,
                                           batch_data_samples['track'])
            losses.update(
                self._weighted(track_losses, 'track_',
                               self.train_cfg.get('track_loss_weight', 1.0)))
        if not losses:
            raise ValueError('JointSOTDetector.loss got a batch with neither '
                             'detection images nor tracking pairs')
        return losses

    def track_loss(self, template_inputs: Tensor, search_inputs: Tensor,
                   batch_data_samples: SampleList) -> dict:
        """Tracking losses on (template, search) pairs (Sec. 3.5).

        Template and search frames share one backbone+FPN pass; the template
        of each pair comes from its template frame and ``template_bbox``,
        attends its own search frame, and the heads (tracking layers) learn
        the single class-agnostic box (and mask, where given) of the search
        frame. Gradients flow through the template solve into the backbone.

        Args:
            template_inputs (Tensor): Template frames (N, 3, H, W).
            search_inputs (Tensor): Search frames (N, 3, H, W).
            batch_data_samples (list[:obj:`DetDataSample`]): Search-frame
                samples with ``template_bbox`` metainfo.

        Returns:
            dict: Unprefixed RPN and RoI losses.
        """
        num = search_inputs.size(0)
        if template_inputs is None or template_inputs.shape != \
                search_inputs.shape or len(batch_data_samples) != num:
            raise ValueError(
                'tracking pairs need template and search batches of the same '
                'shape and one data sample per pair, got '
                f'{None if template_inputs is None else template_inputs.shape}'
                f', {tuple(search_inputs.shape)}, {len(batch_data_samples)}')
        feats = self.extract_feat(torch.cat([template_inputs, search_inputs]))
        template_feats = [f[:num] for f in feats]
        search_feats = [f[num:] for f in feats]
        metas, boxes, samples = [], [], []
        for i, sample in enumerate(batch_data_samples):
            if 'template_bbox' not in sample.metainfo:
                raise ValueError(f'tracking sample {i} has no template_bbox '
                                 'in its metainfo')
            box = torch.as_tensor(
                np.asarray(sample.metainfo['template_bbox'], np.float32),
                device=search_inputs.device).reshape(-1, 4)[:1]
            boxes.append(box)
            # the template frame's own size bounds its negatives
            metas.append(
                dict(
                    img_shape=sample.metainfo.get(
                        'template_img_shape', sample.metainfo['img_shape'])))
            samples.append(self._class_agnostic(sample))
        templates = self.template_head(template_feats, boxes, metas)
        x = self.neck.attend(search_feats, templates)
        with self.roi_head.tracking():
            return self._heads_loss(x, samples)

    def _heads_loss(self, x: Tuple[Tensor], samples: SampleList) -> dict:
        """RPN + RoI losses on features (mmdet's two-stage loss path)."""
        losses = dict()
        proposal_cfg = self.train_cfg.get('rpn_proposal', self.test_cfg.rpn)
        rpn_samples = copy.deepcopy(samples)
        for sample in rpn_samples:
            sample.gt_instances.labels = torch.zeros_like(
                sample.gt_instances.labels)
        rpn_losses, rpn_results_list = self.rpn_head.loss_and_predict(
            x, rpn_samples, proposal_cfg=proposal_cfg)
        for key in list(rpn_losses.keys()):
            if 'loss' in key and 'rpn' not in key:
                rpn_losses[f'rpn_{key}'] = rpn_losses.pop(key)
        losses.update(rpn_losses)
        losses.update(self.roi_head.loss(x, rpn_results_list, samples))
        return losses

    @staticmethod
    def _class_agnostic(sample: DetDataSample) -> DetDataSample:
        """A copy of a tracking sample with zero labels, and without masks
        when ``with_mask`` is False."""
        sample = sample.clone()
        gt = sample.gt_instances
        if len(gt) != 1:
            raise ValueError('a tracking sample must have exactly one '
                             f'ground-truth instance, got {len(gt)}')
        gt.labels = torch.zeros_like(gt.labels)
        if not sample.metainfo.get('with_mask', True) and 'masks' in gt:
            del gt.masks
        return sample

    @staticmethod
    def _weighted(losses: dict, prefix: str, weight: float) -> dict:
        out = dict()
        for key, value in losses.items():
            if 'loss' in key and weight != 1.0:
                value = [v * weight for v in value] if isinstance(
                    value, (list, tuple)) else value * weight
            out[prefix + key] = value
        return out

    # ------------------------------------------------------------------ #
    # tracking API
    # ------------------------------------------------------------------ #
    @staticmethod
    def _default_meta(img: Tensor) -> dict:
        h, w = img.shape[-2:]
        return dict(
            img_shape=(h, w),
            ori_shape=(h, w),
            pad_shape=(h, w),
            batch_input_shape=(h, w),
            scale_factor=(1.0, 1.0))

    @torch.no_grad()
    def init(self,
             img: Tensor,
             bboxes: Tensor,
             img_meta: Optional[dict] = None) -> Tensor:
        """Store the templates of K objects from one frame.

        Args:
            img (Tensor): Preprocessed frame, shape (1, 3, H, W).
            bboxes (Tensor): Boxes of the objects, shape (4, ) or (K, 4),
                xyxy in input (resized) coordinates.
            img_meta (dict, optional): Meta of the frame (``img_shape``);
                defaults to the unpadded input size.

        Returns:
            Tensor: The templates, shape (K, D).
        """
        if img.dim() != 4 or img.size(0) != 1:
            raise ValueError('init expects one frame of shape (1, 3, H, W), '
                             f'got {tuple(img.shape)}')
        img_meta = img_meta or self._default_meta(img)
        bboxes = torch.as_tensor(
            bboxes, dtype=torch.float32, device=img.device)
        bboxes = bboxes.reshape(1, 4) if bboxes.dim() == 1 else bboxes
        check_template_bboxes(bboxes, img_meta['img_shape'], 'init bbox')
        feats = self.extract_feat(img)
        self._templates = self.template_head(feats, [bboxes], [img_meta])
        return self._templates

    @torch.no_grad()
    def track(self,
              img: Tensor,
              img_meta: Optional[dict] = None,
              rescale: bool = False) -> InstanceList:
        """Candidates of every initialised object in one frame.

        One backbone+FPN pass; the K templates are batched through
        attention, RPN and RoI heads with ``test_cfg.track`` (see
        :meth:`predict_candidates`).

        Args:
            img (Tensor): Preprocessed frame, shape (1, 3, H, W).
            img_meta (dict, optional): Meta of the frame (``img_shape``, and
                ``ori_shape`` / ``scale_factor`` for ``rescale``).
            rescale (bool): Boxes and masks in original image coordinates.
                Defaults to False (input coordinates).

        Returns:
            list[:obj:`InstanceData`]: Per object, sorted by score, the top-k
            candidates: ``bboxes`` (k, 4), ``scores`` (k, ), ``labels``
            (k, ) and ``masks`` (k, H, W) bool with a mask head.
        """
        if self._templates is None:
            raise RuntimeError('call init(img, bboxes) before track(img)')
        if img.dim() != 4 or img.size(0) != 1:
            raise ValueError('track expects one frame of shape (1, 3, H, W), '
                             f'got {tuple(img.shape)}')
        img_meta = img_meta or self._default_meta(img)
        feats = self.extract_feat(img)
        return self.predict_candidates(feats, self._templates, img_meta,
                                       rescale)

    def predict_candidates(self,
                           feats: Tuple[Tensor],
                           templates: Tensor,
                           img_meta: dict,
                           rescale: bool = False,
                           lean: Optional[bool] = None,
                           lazy_masks: bool = False
                           ) -> Union[InstanceList, Tuple[InstanceList,
                                                          Optional[Callable]]]:
        """Candidates of K templates on one frame's FPN features.

        The lean path (``test_cfg.track.lean``, default True) batches the K
        templates through one RPN call, one RoI feature extraction, one box
        head and one mask head call, decodes all proposals and boxes at
        once and pastes all masks in one call; only NMS runs per template.
        With ``factorized_rpn_min_templates`` (default 4) templates or more
        the RPN's 3x3 conv runs once on the frame
        (:func:`~mmtao.models.layers.attended_conv3x3`); sets of
        ``gathered_min_rois`` (default 2) RoIs or more are extracted from
        all levels and templates by one
        :func:`~mmtao.models.layers.gathered_roi_align` call.
        ``lean=False`` runs mmdet's per-image predict paths (the reference
        the lean path is tested against).

        Args:
            feats (tuple[Tensor]): The frame's (un-attended) FPN levels,
                each (1, D, H_i, W_i).
            templates (Tensor): (K, D).
            img_meta (dict): Meta of the frame.
            rescale (bool): Boxes and masks in original image coordinates.
            lean (bool, optional): Override ``test_cfg.track.lean``.
            lazy_masks (bool): Return ``(candidates, masks)``: on the lean
                path with masks, the candidates without masks and a function
                ``masks(obj_inds, cand_inds)`` giving the (n, H, W) masks of
                the chosen candidates only (a tracker outputs one mask per
                object: :class:`~mmtao.models.trackers.SOTTracker`); else
                the full candidates and None. Defaults to False.

        Returns:
            list[:obj:`InstanceData`]: K candidate sets, see :meth:`track`
            (a pair with ``lazy_masks``, see above).
        """
        track_cfg = self.test_cfg.track
        lean = track_cfg.get('lean', True) if lean is None else lean
        with_mask = track_cfg.get('with_mask', True)
        num = templates.size(0)
        if not lean:
            x = self.neck.attend(feats, templates)
            metas = [img_meta] * num
            rpn_outs = self.rpn_head(x)
            rpn_results_list = self.rpn_head.predict_by_feat(
                *rpn_outs, batch_img_metas=metas, cfg=track_cfg.rpn)
            results_list = self.roi_head.predict_track(
                x,
                metas,
                rpn_results_list,
                track_cfg.rcnn,
                rescale=rescale,
                with_mask=with_mask)
            return (results_list, None) if lazy_masks else results_list
        sims = self.neck.similarity(feats, templates)
        # the attention of TemplateAttentionNeck.attend, each level built
        # where it is read whole (the direct RPN conv, mmcv's RoIAlign for
        # a single RoI)
        x = AttendedLevels(feats, sims)
        cls_scores, bbox_preds = self._lean_rpn_forward(
            feats, sims, x, track_cfg.get('factorized_rpn_min_templates', 4))
        proposals = self._batched_rpn_proposals(cls_scores, bbox_preds,
                                                img_meta, track_cfg.rpn)
        lazy = lazy_masks and with_mask and self.with_mask
        out = self.roi_head.predict_track_lean(
            feats,
            sims,
            x,
            img_meta,
            proposals,
            track_cfg.rcnn,
            rescale=rescale,
            with_mask=with_mask,
            gathered_min_rois=track_cfg.get('gathered_min_rois', 2),
            lazy_masks=lazy)
        if lazy_masks and not lazy:
            return out, None
        return out

    def _lean_rpn_forward(self, feats: Tuple[Tensor], sims: List[Tensor],
                          x: Sequence[Tensor],
                          min_templates: int) -> Tuple[List[Tensor], ...]:
        """The RPN head on the K attended pyramids.

        For mmdet's one-conv ``RPNHead`` its two 1x1 output convs run as
        one (their weights stacked), and with at least ``min_templates``
        templates its 3x3 conv runs once on the frame
        (:func:`attended_conv3x3`); other heads run as they are.
        """
        head = self.rpn_head
        num = sims[0].size(0)
        outputs = (getattr(head, 'rpn_cls', None),
                   getattr(head, 'rpn_reg', None))
        if not (isinstance(getattr(head, 'rpn_conv', None), nn.Conv2d)
                and getattr(head, 'num_convs', 1) == 1 and all(
                    isinstance(conv, nn.Conv2d) and conv.kernel_size == (1, 1)
                    and conv.bias is not None for conv in outputs)):
            return head(x)
        factorized = 0 < min_templates <= num
        weight = torch.cat([conv.weight for conv in outputs])
        bias = torch.cat([conv.bias for conv in outputs])
        num_cls, num_out = outputs[0].out_channels, len(weight)
        if factorized:
            # channels last (attended_conv3x3's layout): the 1x1 convs are
            # one matmul over the pixels, no layout conversion; its outputs
            # padded to 16 columns (zeros), which BLAS runs twice as fast as
            # 15
            pad = -num_out % 16
            mm_weight = F.pad(weight.view(num_out, -1).t(), (0, pad))
            mm_bias = F.pad(bias, (0, pad))
        cls_scores, bbox_preds = [], []
        for level, (feat, sim) in enumerate(zip(feats, sims)):
            if factorized:
                out = attended_conv3x3(feat, sim, head.rpn_conv).relu_()
                k, c, h, w = out.shape
                out = torch.addmm(mm_bias,
                                  out.permute(0, 2, 3, 1).reshape(-1, c),
                                  mm_weight)
                out = out.view(k, h, w, -1)[..., :num_out].permute(0, 3, 1, 2)
            else:
                out = F.conv2d(
                    head.rpn_conv(x[level]).relu_(), weight, bias)
            cls_scores.append(out[:, :num_cls])
            bbox_preds.append(out[:, num_cls:])
        return cls_scores, bbox_preds

    def _grid_priors(self, featmap_sizes: List[torch.Size], dtype: torch.dtype,
                     device: torch.device) -> List[Tensor]:
        """The RPN's anchors for these feature map sizes, computed once per
        size (a video keeps its frame size)."""
        key = (tuple(tuple(s) for s in featmap_sizes), dtype, str(device))
        cache = self.__dict__.setdefault('_prior_cache', {})
        if key not in cache:
            if len(cache) >= 8:
                cache.clear()
            cache[key] = self.rpn_head.prior_generator.grid_priors(
                featmap_sizes, dtype=dtype, device=device)
        return cache[key]

    def _batched_rpn_proposals(self, cls_scores: List[Tensor],
                               bbox_preds: List[Tensor], img_meta: dict,
                               cfg: ConfigType) -> InstanceList:
        """mmdet's ``RPNHead.predict_by_feat`` for K images of one frame:
        the top ``nms_pre`` of every level (``topk``: the same scores as
        mmdet's full sort, many times cheaper on the CPU) and the box
        decoding batched over the K images, NMS per image (mmcv's, same
        inputs as mmdet's; :func:`first_kept_batched_nms` stops at
        ``max_per_img`` kept boxes)."""
        head = self.rpn_head
        num = cls_scores[0].size(0)
        priors = self._grid_priors([c.shape[-2:] for c in cls_scores],
                                   cls_scores[0].dtype, cls_scores[0].device)
        nms_pre = cfg.get('nms_pre', -1)
        reg_dim = head.bbox_coder.encode_size
        num_anchors = head.num_base_priors
        mlvl_deltas, mlvl_priors, mlvl_scores, level_ids = [], [], [], []
        for level, (cls_score, bbox_pred, prior) in enumerate(
                zip(cls_scores, bbox_preds, priors)):
            cls_score = cls_score.permute(0, 2, 3, 1).reshape(
                num, -1, head.cls_out_channels)
            if head.use_sigmoid_cls:
                scores = cls_score.sigmoid()
            else:
                scores = cls_score.softmax(-1)[..., :-1]
            scores = scores.reshape(num, -1)
            if 0 < nms_pre < scores.size(1):
                scores, inds = scores.topk(nms_pre, dim=1)
            else:
                inds = torch.arange(
                    scores.size(1), device=scores.device).expand(num, -1)
            pos, anchor = inds.div(num_anchors, rounding_mode='floor'), \
                inds % num_anchors
            # the top-k deltas are gathered from the head's memory layout,
            # not from a permuted copy of the whole level
            batch = torch.arange(num)[:, None]
            if bbox_pred.stride(1) == 1 and bbox_pred.size(1) > 1:
                deltas = bbox_pred.permute(0, 2, 3, 1).reshape(
                    num, -1, num_anchors, reg_dim)  # (K, HW, A, reg_dim)
                mlvl_deltas.append(deltas[batch, pos, anchor])
            else:
                deltas = bbox_pred.reshape(num, num_anchors, reg_dim, -1)
                mlvl_deltas.append(deltas[batch, anchor, :, pos])
            mlvl_priors.append(prior[inds])
            mlvl_scores.append(scores)
            level_ids.append(
                scores.new_full((scores.size(1), ), level, dtype=torch.long))
        deltas = torch.cat(mlvl_deltas, 1)
        bboxes = head.bbox_coder.decode(
            torch.cat(mlvl_priors, 1).reshape(-1, 4),
            deltas.reshape(-1, reg_dim),
            max_shape=img_meta['img_shape']).reshape(num, -1, 4)
        scores = torch.cat(mlvl_scores, 1)
        level_ids = torch.cat(level_ids)
        min_size = cfg.get('min_bbox_size', -1)
        if min_size >= 0:
            valid = ((bboxes[..., 2] - bboxes[..., 0] > min_size) &
                     (bboxes[..., 3] - bboxes[..., 1] > min_size))
            all_valid = valid.all(1).tolist()
        results_list = []
        for k in range(num):
            k_bboxes, k_scores, k_levels = bboxes[k], scores[k], level_ids
            if min_size >= 0 and not all_valid[k]:
                k_bboxes, k_scores = k_bboxes[valid[k]], k_scores[valid[k]]
                k_levels = k_levels[valid[k]]
            if k_bboxes.numel() > 0:
                dets, keep = first_kept_batched_nms(k_bboxes, k_scores,
                                                    k_levels, cfg.nms,
                                                    cfg.max_per_img)
                k_bboxes, k_scores = k_bboxes[keep], dets[:, -1]
            results_list.append(
                InstanceData(
                    bboxes=k_bboxes,
                    scores=k_scores,
                    labels=k_scores.new_zeros(
                        len(k_scores), dtype=torch.long)))
        return results_list

    # ------------------------------------------------------------------ #
    # test loop
    # ------------------------------------------------------------------ #
    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Detection, or SOT when the samples carry ``frame_id``.

        Detection: mmdet's Mask R-CNN ``predict`` (``pred_instances``).
        SOT (contract §2, one video frame per sample, in video order): frame
        0 stores the template from ``gt_instances.bboxes[0]`` and predicts
        that box with score 1 (mask: the box area); later frames track and
        keep the top-1 after the optional temporal smoother, all through
        :class:`~mmtao.models.trackers.SOTTracker` (the same rules as the
        API and the demos). Results are ``pred_track_instances`` with
        ``bboxes`` (1, 4), ``scores`` (1, ) (presence: the chosen
        candidate's detector confidence) and ``masks`` (1, H_ori, W_ori) in
        original image coordinates. A frame with no candidate repeats the
        previous box and mask with score 0.

        Args:
            batch_inputs (Tensor): Preprocessed images (N, 3, H, W).
            batch_data_samples (list[:obj:`DetDataSample`]): Their samples.
            rescale (bool): Detection results in original coordinates.
                Defaults to True. SOT results always are.

        Returns:
            list[:obj:`DetDataSample`]: The samples with predictions.
        """
        if 'frame_id' not in batch_data_samples[0].metainfo:
            return super().predict(batch_inputs, batch_data_samples, rescale)
        for img, sample in zip(batch_inputs, batch_data_samples):
            self._predict_sot(img[None], sample)
        return batch_data_samples

    def _predict_sot(self, img: Tensor, sample: DetDataSample) -> None:
        """One frame of the SOT test loop through the tracker of
        ``test_cfg`` (:func:`~mmtao.models.trackers.build_tracker`: the
        :class:`SOTTracker`, or ``test_cfg.tracker``); frame 0 initialises
        it from ``gt_instances.bboxes[0]``."""
        meta = sample.metainfo
        if meta['frame_id'] == 0:
            # gt boxes are in input coordinates; the tracker takes the
            # original image's
            bbox = scale_boxes(
                sample.gt_instances.bboxes[:1].to(img.device).float().clone(),
                [1 / s for s in meta['scale_factor']])
            self._sot_tracker = build_tracker(self.test_cfg)
            pred = self._sot_tracker.init(self, img, meta, bbox)
        else:
            tracker = getattr(self, '_sot_tracker', None)
            if tracker is None or tracker.num_objects == 0:
                raise RuntimeError(
                    f'frame {meta["frame_id"]} of video '
                    f'{meta.get("video_id")} came before its frame 0; the '
                    'SOT test needs a video-ordered sampler')
            pred = tracker.track(self, img, meta)
        sample.pred_track_instances = InstanceData(
            bboxes=pred.bboxes, scores=pred.scores)
        if 'masks' in pred:
            sample.pred_track_instances.masks = pred.masks

    @property
    def _track_masks(self) -> bool:
        """bool: Whether ``track`` returns masks."""
        return self.with_mask and self.test_cfg.track.get('with_mask', True)
