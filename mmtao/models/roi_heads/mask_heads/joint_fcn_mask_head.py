# Copyright (c) mmtao contributors. All rights reserved.
from mmcv.cnn import build_conv_layer
from mmcv.ops.carafe import CARAFEPack
from mmdet.models.roi_heads.mask_heads import FCNMaskHead
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
