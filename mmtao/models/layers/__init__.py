# Copyright (c) mmtao contributors. All rights reserved.
from .attended_conv import attended_conv3x3
from .separable_roi_align import separable_roi_align

__all__ = ['attended_conv3x3', 'separable_roi_align']
