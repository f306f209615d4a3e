# Copyright (c) mmtao contributors. All rights reserved.
import copy
from typing import Dict, Optional, Tuple, Union

import numpy as np
import torch
from mmdet.structures import DetDataSample, SampleList
from torch import Tensor


class JointLossMixin:
    """Losses of mixed detection + tracking-pair batches (Sec. 3.5, data
    contract §4): the training side of
    :class:`~mmtao.models.detectors.JointSOTDetector`.

    Detection images go through mmdet's two-stage loss path; tracking pairs
    share one backbone+FPN pass, the template head solves each pair's
    template on its template frame, the neck attends the search frame with
    it and the RPN / RoI heads (in their tracking mode) learn the single
    class-agnostic object. Needs the detector's ``extract_feat``,
    ``template_head``, ``neck.attend``, ``rpn_head``, ``roi_head.tracking``
    and ``train_cfg`` / ``test_cfg``.
    """

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
