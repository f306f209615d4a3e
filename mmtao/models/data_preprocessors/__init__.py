# Copyright (c) mmtao contributors. All rights reserved.
from .joint_data_preprocessor import JointDataPreprocessor

__all__ = ['JointDataPreprocessor']
