# Copyright (c) mmtao contributors. All rights reserved.
import copy
import os.path as osp

import mmdet
import pytest
from mmengine.config import Config

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TAO_MODEL = osp.join(REPO_ROOT,
                     'configs/_base_/models/tao_mask-rcnn_r50_fpn.py')
# mmdet's own Mask R-CNN config, the base of the paper's model config
MMDET_MODEL = osp.join(
    osp.dirname(mmdet.__file__),
    '.mim/configs/_base_/models/mask-rcnn_r50_fpn.py')

# ResNet-18 at 1/8 width, 16-channel FPN, 32-d fcs: a Mask R-CNN of the
# real structure that runs in milliseconds on 64-128 px images.
TINY_C = 16


def make_tiny(model_cfg, num_classes: int = 3):
    """Shrink a Mask R-CNN model config in place; returns it."""
    m = model_cfg
    m.backbone = dict(
        type='ResNet',
        depth=18,
        base_channels=8,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        style='pytorch')
    fpn = m.neck.neck if m.neck.type == 'TemplateAttentionNeck' else m.neck
    fpn.in_channels = [8, 16, 32, 64]
    fpn.out_channels = TINY_C
    m.rpn_head.in_channels = TINY_C
    m.rpn_head.feat_channels = TINY_C
    rh = m.roi_head
    rh.bbox_roi_extractor.out_channels = TINY_C
    rh.mask_roi_extractor.out_channels = TINY_C
    rh.bbox_head.in_channels = TINY_C
    rh.bbox_head.fc_out_channels = 32
    rh.bbox_head.num_classes = num_classes
    rh.mask_head.in_channels = TINY_C
    rh.mask_head.conv_out_channels = TINY_C
    rh.mask_head.num_convs = 1
    rh.mask_head.num_classes = num_classes
    return m


def load_model_cfg(path: str):
    cfg = Config.fromfile(path)
    return make_tiny(copy.deepcopy(cfg.model))


@pytest.fixture
def tiny_tao_cfg():
    """Tiny version of the paper's model config (configs/_base_/models)."""
    return load_model_cfg(TAO_MODEL)


@pytest.fixture
def tiny_mmdet_cfg():
    """The same tiny model as mmdet's own MaskRCNN config."""
    return load_model_cfg(MMDET_MODEL)


def _build_model(cfg, seed: int = 0):
    """Build and initialise a model in mmtao's scope."""
    import torch
    from mmengine import DefaultScope
    from mmengine.logging import MMLogger

    from mmtao.registry import MODELS
    from mmtao.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    torch.manual_seed(seed)
    # init_weights logs every parameter at INFO
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel('WARNING')
    try:
        with DefaultScope.overwrite_default_scope('mmtao'):
            model = MODELS.build(cfg)
            model.init_weights()
    finally:
        logger.setLevel(level)
    return model


@pytest.fixture
def build_model():
    """``build_model(cfg, seed=0)``: build + init_weights in mmtao's scope."""
    return _build_model
