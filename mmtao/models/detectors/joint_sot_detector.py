# Copyright (c) mmtao contributors. All rights reserved.
import copy
from typing import Callable, Optional, Sequence, Tuple, Union

import torch
from mmdet.models.detectors import MaskRCNN
from mmdet.structures import DetDataSample, SampleList
from mmdet.structures.bbox import scale_boxes
from mmdet.utils import ConfigType, InstanceList, OptConfigType, OptMultiConfig
from mmengine.structures import InstanceData
from torch import Tensor

from mmtao.registry import MODELS
from ..heads.ridge_template_head import check_template_bboxes
from ..layers import AttendedLevels
from ..trackers import build_tracker
from .joint_loss_mixin import JointLossMixin


def add_proposals(proposals: InstanceList,
                  extra: Optional[Sequence[Tensor]]) -> InstanceList:
    """Per template, its RPN proposals followed by ``extra`` boxes (n, 4)
    (objectness 1: the RoI head does not read it)."""
    if extra is None:
        return proposals
    if len(extra) != len(proposals):
        raise ValueError(f'{len(extra)} extra proposal sets for '
                         f'{len(proposals)} templates')
    out = []
    for res, boxes in zip(proposals, extra):
        boxes = boxes.reshape(-1, 4).to(res.bboxes)
        out.append(
            InstanceData(
                bboxes=torch.cat([res.bboxes, boxes]),
                scores=torch.cat([res.scores,
                                  res.scores.new_ones(len(boxes))]),
                labels=torch.cat([res.labels,
                                  res.labels.new_zeros(len(boxes))])))
    return out


@MODELS.register_module()
class JointSOTDetector(JointLossMixin, MaskRCNN):
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

    As mmdet's ``TwoStageDetector``, it delegates to its components: the
    losses of mixed batches are :class:`JointLossMixin`'s, the tracking
    proposals the RPN head's (``TrackingRPNHead.predict_track``) and the
    candidates the RoI head's (``JointRoIHead.predict_track_lean``).

    Args:
        backbone (dict or ConfigDict): Backbone config.
        neck (dict or ConfigDict): A ``TemplateAttentionNeck`` config.
        rpn_head (dict or ConfigDict): A ``TrackingRPNHead`` config (mmdet's
            ``RPNHead`` plus the batched tracking path).
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
        if not hasattr(self.rpn_head, 'predict_track'):
            raise TypeError('JointSOTDetector needs an RPN head with a '
                            'tracking path (TrackingRPNHead), got '
                            f'{type(self.rpn_head).__name__}')
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
                           lazy_masks: bool = False,
                           extra_proposals: Optional[Sequence[Tensor]] = None
                           ) -> Union[InstanceList, Tuple[InstanceList,
                                                          Optional[Callable]]]:
        """Candidates of K templates on one frame's FPN features.

        The lean path (``test_cfg.track.lean``, default True) batches the K
        templates through one RPN call, one RoI feature extraction, one box
        head and one mask head call, decodes all proposals and boxes at
        once and pastes all masks in one call; only NMS runs per template.
        With ``factorized_rpn_min_templates`` (default 4) templates or more
        the RPN's 3x3 conv runs once on the frame
        (:meth:`~mmtao.models.dense_heads.TrackingRPNHead.predict_track`);
        sets of ``gathered_min_rois`` (default 2) RoIs or more are extracted
        from all levels and templates by one
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
            extra_proposals (Sequence[Tensor], optional): Per template,
                boxes (n_k, 4) xyxy in input pixels that join its RPN
                proposals (e.g. a tracker's last box: the box head scores
                and refines it as any proposal). Defaults to None.

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
            rpn_results_list = add_proposals(
                self.rpn_head.predict_by_feat(
                    *rpn_outs, batch_img_metas=metas, cfg=track_cfg.rpn),
                extra_proposals)
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
        proposals = add_proposals(
            self.rpn_head.predict_track(
                feats, sims, x, img_meta, track_cfg.rpn,
                track_cfg.get('factorized_rpn_min_templates', 4)),
            extra_proposals)
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
