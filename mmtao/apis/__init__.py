# Copyright (c) mmtao contributors. All rights reserved.
from .inference import SOTInferencer, init_tracker

__all__ = ['init_tracker', 'SOTInferencer']
