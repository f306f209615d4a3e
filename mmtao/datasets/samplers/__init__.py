# Copyright (c) mmtao contributors. All rights reserved.
from .mixed_batch_sampler import MixedBatchSampler
from .video_sampler import VideoSampler

__all__ = ['MixedBatchSampler', 'VideoSampler']
