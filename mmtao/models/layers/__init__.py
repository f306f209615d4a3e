# Copyright (c) mmtao contributors. All rights reserved.
from .attended_conv import attended_conv3x3
from .attended_levels import AttendedLevels
from .first_kept_nms import first_kept_batched_nms
from .gathered_roi_align import PyramidTable, gathered_roi_align

__all__ = [
    'AttendedLevels', 'PyramidTable', 'attended_conv3x3',
    'first_kept_batched_nms', 'gathered_roi_align'
]
