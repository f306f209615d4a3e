# Copyright (c) mmtao contributors. All rights reserved.
import numpy as np
import torch
import torch.nn.functional as F
from mmcv.cnn import build_conv_layer
from mmcv.ops.carafe import CARAFEPack
from mmdet.models.roi_heads.mask_heads import FCNMaskHead
from mmengine.config import ConfigDict
from torch import Tensor, nn

from mmtao.registry import MODELS


@MODELS.register_module()
class JointFCNMaskHead(FCNMaskHead):
    """FCN mask head with separate detection and tracking final layers.

    The convs and the upsampling are shared (Sec. 3.3 of the paper).
    Detection mode uses mmdet's ``conv_logits`` (one channel per class,
    mmdet's parameter names so mmdet checkpoints load); tracking mode uses
    ``conv_logits_track`` (one class-agnostic channel). While
    :attr:`tracking` is True, :attr:`class_agnostic` reads True, so mmdet's
    targets, loss and mask pasting serve both modes unchanged.

    Args:
        All arguments of ``FCNMaskHead``.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.conv_logits_track = build_conv_layer(self.predictor_cfg,
                                                  self.conv_logits.in_channels,
                                                  1, 1)

    @property
    def tracking(self) -> bool:
        """bool: Whether the tracking (class-agnostic) layer is used."""
        return self.__dict__.get('_tracking', False)

    @tracking.setter
    def tracking(self, value: bool) -> None:
        self.__dict__['_tracking'] = bool(value)

    @property
    def class_agnostic(self) -> bool:
        """bool: Always True in tracking mode."""
        return True if self.tracking else self._det_class_agnostic

    @class_agnostic.setter
    def class_agnostic(self, value: bool) -> None:
        self._det_class_agnostic = value

    def init_weights(self) -> None:
        """Initialize the weights; the tracking logits as mmdet's."""
        super().init_weights()
        m = self.conv_logits_track
        if isinstance(m, CARAFEPack):
            m.init_weights()
        elif hasattr(m, 'weight') and hasattr(m, 'bias'):
            nn.init.kaiming_normal_(
                m.weight, mode='fan_out', nonlinearity='relu')
            nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        """Forward mask RoI features.

        Args:
            x (Tensor): RoI features of shape (n, C, roi_h, roi_w).

        Returns:
            Tensor: Mask logits of shape (n, num_classes, 2 * roi_h,
            2 * roi_w), or (n, 1, ...) in tracking mode.
        """
        for conv in self.convs:
            x = conv(x)
        if self.upsample is not None:
            x = self.upsample(x)
            if self.upsample_method == 'deconv':
                x = self.relu(x)
        if self.tracking:
            return self.conv_logits_track(x)
        return self.conv_logits(x)

    @staticmethod
    def paste_masks(mask_preds: Tensor, bboxes: Tensor, img_meta: dict,
                    cfg: ConfigDict, rescale: bool) -> Tensor:
        """mmdet's ``FCNMaskHead._predict_by_feat_single`` (CPU, class-
        agnostic) in one ``grid_sample`` call for all masks (the lean track
        step's pasting: the masks of all templates share the frame).

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
