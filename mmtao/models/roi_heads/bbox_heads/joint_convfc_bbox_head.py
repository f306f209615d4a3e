# Copyright (c) mmtao contributors. All rights reserved.
from typing import Tuple

from mmdet.models.roi_heads.bbox_heads import ConvFCBBoxHead
from torch import Tensor

from mmtao.registry import MODELS


@MODELS.register_module()
class JointConvFCBBoxHead(ConvFCBBoxHead):
    """ConvFC box head with separate detection and tracking final layers.

    All convs and fcs are shared (Sec. 3.3 of the paper). Detection mode
    uses mmdet's class-specific ``fc_cls`` / ``fc_reg`` (same names and
    shapes as ``ConvFCBBoxHead``, so mmdet checkpoints load); tracking mode
    uses ``fc_cls_track`` (1 class + background) and ``fc_reg_track``
    (class-agnostic deltas). While :attr:`tracking` is True,
    :attr:`num_classes` reads 1 and :attr:`reg_class_agnostic` reads True,
    so mmdet's target, loss and post-processing code serve both modes
    unchanged. The mode is set by the RoI head (``JointRoIHead.tracking``).

    Args:
        All arguments of ``ConvFCBBoxHead``.
    """

    def __init__(self, *args, init_cfg=None, **kwargs) -> None:
        super().__init__(*args, init_cfg=init_cfg, **kwargs)
        if self.custom_cls_channels:
            raise ValueError('JointConvFCBBoxHead supports the softmax '
                             'classification losses of Mask R-CNN only')
        box_dim = self.bbox_coder.encode_size
        if self.with_cls:
            cls_cfg = self.cls_predictor_cfg.copy()
            cls_cfg.update(in_features=self.cls_last_dim, out_features=2)
            self.fc_cls_track = MODELS.build(cls_cfg)
        if self.with_reg:
            reg_cfg = self.reg_predictor_cfg.copy()
            reg_cfg.update(in_features=self.reg_last_dim, out_features=box_dim)
            self.fc_reg_track = MODELS.build(reg_cfg)
        if init_cfg is None:
            # same initialisation as mmdet's detection layers
            self.init_cfg += [
                dict(
                    type='Normal',
                    std=0.01,
                    override=dict(name='fc_cls_track')),
                dict(
                    type='Normal',
                    std=0.001,
                    override=dict(name='fc_reg_track'))
            ]

    @property
    def tracking(self) -> bool:
        """bool: Whether the tracking (class-agnostic) layers are used."""
        return self.__dict__.get('_tracking', False)

    @tracking.setter
    def tracking(self, value: bool) -> None:
        self.__dict__['_tracking'] = bool(value)

    @property
    def num_classes(self) -> int:
        """int: 1 in tracking mode, the detection classes otherwise."""
        return 1 if self.tracking else self._num_det_classes

    @num_classes.setter
    def num_classes(self, value: int) -> None:
        self._num_det_classes = value

    @property
    def reg_class_agnostic(self) -> bool:
        """bool: Always True in tracking mode."""
        return True if self.tracking else self._det_reg_class_agnostic

    @reg_class_agnostic.setter
    def reg_class_agnostic(self, value: bool) -> None:
        self._det_reg_class_agnostic = value

    def forward_features(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Shared convs/fcs, then the cls and reg branches.

        Args:
            x (Tensor): RoI features of shape (n, C, roi_h, roi_w).

        Returns:
            tuple[Tensor]: Inputs of the final cls and reg layers, of shape
            (n, cls_last_dim) and (n, reg_last_dim).
        """
        for conv in self.shared_convs:
            x = conv(x)
        if self.num_shared_fcs > 0:
            if self.with_avg_pool:
                x = self.avg_pool(x)
            x = x.flatten(1)
            for fc in self.shared_fcs:
                x = self.relu(fc(x))
        x_cls = self._branch(x, self.cls_convs, self.cls_fcs)
        x_reg = self._branch(x, self.reg_convs, self.reg_fcs)
        return x_cls, x_reg

    def _branch(self, x: Tensor, convs, fcs) -> Tensor:
        for conv in convs:
            x = conv(x)
        if x.dim() > 2:
            if self.with_avg_pool:
                x = self.avg_pool(x)
            x = x.flatten(1)
        for fc in fcs:
            x = self.relu(fc(x))
        return x

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Forward RoI features.

        Args:
            x (Tensor): RoI features of shape (n, C, roi_h, roi_w).

        Returns:
            tuple[Tensor]: ``cls_score`` of shape (n, num_classes + 1) and
            ``bbox_pred`` of shape (n, 4 * num_classes), or (n, 2) and (n, 4)
            in tracking mode.
        """
        x_cls, x_reg = self.forward_features(x)
        fc_cls = self.fc_cls_track if self.tracking else self.fc_cls
        fc_reg = self.fc_reg_track if self.tracking else self.fc_reg
        cls_score = fc_cls(x_cls) if self.with_cls else None
        bbox_pred = fc_reg(x_reg) if self.with_reg else None
        return cls_score, bbox_pred


@MODELS.register_module()
class JointShared2FCBBoxHead(JointConvFCBBoxHead):
    """``Shared2FCBBoxHead`` (Mask R-CNN's box head) with tracking layers.

    Args:
        fc_out_channels (int): Width of the two shared fcs. Defaults to 1024.
    """

    def __init__(self, fc_out_channels: int = 1024, *args, **kwargs) -> None:
        super().__init__(
            num_shared_convs=0,
            num_shared_fcs=2,
            num_cls_convs=0,
            num_cls_fcs=0,
            num_reg_convs=0,
            num_reg_fcs=0,
            fc_out_channels=fc_out_channels,
            *args,
            **kwargs)
