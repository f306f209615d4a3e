# Copyright (c) mmtao contributors. All rights reserved.
from .attended_conv import attended_conv3x3
from .attended_levels import AttendedLevels
from .first_kept_nms import first_kept_batched_nms
from .separable_roi_align import separable_roi_align

__all__ = [
    'AttendedLevels', 'attended_conv3x3', 'first_kept_batched_nms',
    'separable_roi_align'
]
