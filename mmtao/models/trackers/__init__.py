# Copyright (c) mmtao contributors. All rights reserved.
from .sot_tracker import SOTTracker
from .temporal_smoother import TemporalSmoother

__all__ = ['SOTTracker', 'TemporalSmoother']
