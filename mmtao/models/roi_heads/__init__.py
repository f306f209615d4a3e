# Copyright (c) mmtao contributors. All rights reserved.
from .bbox_heads import *  # noqa: F401,F403
from .joint_roi_head import JointRoIHead
from .mask_heads import *  # noqa: F401,F403

__all__ = ['JointRoIHead']
