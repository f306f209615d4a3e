# Copyright (c) mmtao contributors. All rights reserved.
from .box_convention import BoxConvention
from .exclusive_assignment import exclusive_assignment, greedy_assignment
from .identity_tracker import IdentityTracker, build_tracker
from .motion_prior import MotionPrior
from .presence_calibration import PresenceCalibration
from .search_region import SearchRegion
from .sot_tracker import SOTTracker
from .temporal_smoother import TemporalSmoother
from .template_memory import TemplateMemory, weighted_ridge

__all__ = [
    'SOTTracker', 'TemporalSmoother', 'IdentityTracker', 'build_tracker',
    'MotionPrior', 'PresenceCalibration', 'TemplateMemory', 'weighted_ridge',
    'exclusive_assignment', 'greedy_assignment', 'SearchRegion',
    'BoxConvention'
]
