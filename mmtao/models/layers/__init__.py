# Copyright (c) mmtao contributors. All rights reserved.
from .separable_roi_align import separable_roi_align

__all__ = ['separable_roi_align']
