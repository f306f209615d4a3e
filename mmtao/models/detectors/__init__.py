# Copyright (c) mmtao contributors. All rights reserved.
from .joint_sot_detector import JointSOTDetector

__all__ = ['JointSOTDetector']
