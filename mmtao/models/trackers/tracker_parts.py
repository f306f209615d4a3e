# Copyright (c) mmtao contributors. All rights reserved.
from mmengine.registry import DefaultScope

from mmtao.registry import MODELS


def build_part(cfg, default_type: str):
    """A tracker part (search region, smoother, prior, ...) from its config,
    ``type`` defaulting to ``default_type``.

    Built in mmtao's registry whatever the current default scope: a process
    that ran mmdet code may have 'mmdet' as the default.
    """
    cfg = dict(cfg)
    cfg.setdefault('type', default_type)
    with DefaultScope.overwrite_default_scope('mmtao'):
        return MODELS.build(cfg)
