# Copyright (c) mmtao contributors. All rights reserved.
from .joint_convfc_bbox_head import JointConvFCBBoxHead, JointShared2FCBBoxHead

__all__ = ['JointConvFCBBoxHead', 'JointShared2FCBBoxHead']
