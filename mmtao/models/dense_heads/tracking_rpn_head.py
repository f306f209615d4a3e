# Copyright (c) mmtao contributors. All rights reserved.
from typing import Dict, List, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.dense_heads import RPNHead
from mmdet.utils import ConfigType, InstanceList
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmtao.registry import MODELS
from ..layers import attended_conv3x3, first_kept_batched_nms


@MODELS.register_module()
class TrackingRPNHead(RPNHead):
    """mmdet's ``RPNHead`` with a batched path for K templates on one frame.

    Detection and training are mmdet's ``RPNHead`` unchanged (the same
    layers and state-dict keys, so OpenMMLab checkpoints load as before).
    :meth:`predict_track` gives the proposals of K attended copies of one
    frame's pyramid as ``predict_by_feat`` does image by image (tested
    against it): the head runs once on all K (:meth:`forward_attended`),
    the anchors are computed once per frame size (:meth:`grid_priors`) and
    the proposals are decoded for all K at once (:meth:`predict_batched`);
    only NMS runs per template.

    Args and keyword args: those of mmdet's ``RPNHead``.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # anchors per (feature map sizes, dtype, device): a video keeps its
        # frame size
        self._prior_cache: Dict[tuple, List[Tensor]] = {}

    def predict_track(self, feats: Sequence[Tensor], sims: Sequence[Tensor],
                      x: Sequence[Tensor], img_meta: dict, cfg: ConfigType,
                      factorized_min_templates: int = 4) -> InstanceList:
        """Proposals of K templates on one frame.

        Args:
            feats (Sequence[Tensor]): The frame's FPN levels (1, C, H, W).
            sims (Sequence[Tensor]): Similarity maps (K, 1, H, W) per level.
            x (Sequence[Tensor]): Attended levels ``feats * sims``
                (K, C, H, W), e.g.
                :class:`~mmtao.models.layers.AttendedLevels`.
            img_meta (dict): Meta of the frame (``img_shape``).
            cfg (ConfigDict): RPN test config (``nms_pre``, ``nms``,
                ``max_per_img``, ``min_bbox_size``).
            factorized_min_templates (int): See :meth:`forward_attended`.

        Returns:
            list[:obj:`InstanceData`]: K proposal sets (``bboxes`` (n, 4),
            ``scores`` (n, ), ``labels`` (n, ) zeros), as
            ``predict_by_feat`` gives them per image.
        """
        cls_scores, bbox_preds = self.forward_attended(
            feats, sims, x, factorized_min_templates)
        return self.predict_batched(cls_scores, bbox_preds, img_meta, cfg)

    def forward_attended(self, feats: Sequence[Tensor],
                         sims: Sequence[Tensor], x: Sequence[Tensor],
                         min_templates: int) -> Tuple[List[Tensor], ...]:
        """:meth:`forward` on the K attended pyramids.

        With one conv (``num_convs=1``) the two 1x1 output convs run as one
        (their weights stacked), and with at least ``min_templates``
        templates (0 or less: never) the 3x3 conv runs once on the frame
        (:func:`~mmtao.models.layers.attended_conv3x3`); otherwise the head
        runs as it is on ``x``.

        Returns:
            tuple[list[Tensor]]: ``cls_scores`` (K, A, H, W) and
            ``bbox_preds`` (K, 4A, H, W) per level, as :meth:`forward`.
        """
        num = sims[0].size(0)
        outputs = (self.rpn_cls, self.rpn_reg)
        if not (self.num_convs == 1 and isinstance(self.rpn_conv, nn.Conv2d)
                and all(
                    isinstance(conv, nn.Conv2d) and conv.kernel_size == (1, 1)
                    and conv.bias is not None for conv in outputs)):
            return self(x)
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
                out = attended_conv3x3(feat, sim, self.rpn_conv).relu_()
                k, c, h, w = out.shape
                out = torch.addmm(mm_bias,
                                  out.permute(0, 2, 3, 1).reshape(-1, c),
                                  mm_weight)
                out = out.view(k, h, w, -1)[..., :num_out].permute(0, 3, 1, 2)
            else:
                out = F.conv2d(
                    self.rpn_conv(x[level]).relu_(), weight, bias)
            cls_scores.append(out[:, :num_cls])
            bbox_preds.append(out[:, num_cls:])
        return cls_scores, bbox_preds

    def grid_priors(self, featmap_sizes: List[torch.Size], dtype: torch.dtype,
                    device: torch.device) -> List[Tensor]:
        """The anchors of ``prior_generator.grid_priors``, computed once per
        feature map sizes (the last 8 kept)."""
        key = (tuple(tuple(s) for s in featmap_sizes), dtype, str(device))
        cache = self._prior_cache
        if key not in cache:
            if len(cache) >= 8:
                cache.clear()
            cache[key] = self.prior_generator.grid_priors(
                featmap_sizes, dtype=dtype, device=device)
        return cache[key]

    def predict_batched(self, cls_scores: List[Tensor],
                        bbox_preds: List[Tensor], img_meta: dict,
                        cfg: ConfigType) -> InstanceList:
        """``predict_by_feat`` for K images of one frame (one meta).

        The top ``nms_pre`` of every level (``topk``: the same scores as
        mmdet's full sort, many times cheaper on the CPU) and the box
        decoding run batched over the K images, NMS per image (mmcv's, on
        mmdet's inputs; :func:`~mmtao.models.layers.first_kept_batched_nms`
        stops at ``max_per_img`` kept boxes).

        Args:
            cls_scores (list[Tensor]): Per level (K, A * C, H, W).
            bbox_preds (list[Tensor]): Per level (K, A * 4, H, W).
            img_meta (dict): Meta of the frame (``img_shape``).
            cfg (ConfigDict): RPN test config.

        Returns:
            list[:obj:`InstanceData`]: K proposal sets, see
            :meth:`predict_track`.
        """
        num = cls_scores[0].size(0)
        priors = self.grid_priors([c.shape[-2:] for c in cls_scores],
                                  cls_scores[0].dtype, cls_scores[0].device)
        nms_pre = cfg.get('nms_pre', -1)
        reg_dim = self.bbox_coder.encode_size
        num_anchors = self.num_base_priors
        mlvl_deltas, mlvl_priors, mlvl_scores, level_ids = [], [], [], []
        for level, (cls_score, bbox_pred, prior) in enumerate(
                zip(cls_scores, bbox_preds, priors)):
            cls_score = cls_score.permute(0, 2, 3, 1).reshape(
                num, -1, self.cls_out_channels)
            if self.use_sigmoid_cls:
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
        bboxes = self.bbox_coder.decode(
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
