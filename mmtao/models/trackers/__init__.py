# Copyright (c) mmtao contributors. All rights reserved.
from .temporal_smoother import TemporalSmoother

__all__ = ['TemporalSmoother']
