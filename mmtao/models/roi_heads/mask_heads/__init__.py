# Copyright (c) mmtao contributors. All rights reserved.
from .joint_fcn_mask_head import JointFCNMaskHead

__all__ = ['JointFCNMaskHead']
