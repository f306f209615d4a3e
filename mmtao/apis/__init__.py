# Copyright (c) mmtao contributors. All rights reserved.
from .inference import SOTInferencer, init_tracker
from .track_output_writer import TrackOutputWriter
from .video_tracking import (TrackedFrame, VideoTrackSummary, iter_tracks,
                             track_video)

__all__ = [
    'init_tracker', 'SOTInferencer', 'track_video', 'iter_tracks',
    'TrackOutputWriter', 'TrackedFrame', 'VideoTrackSummary'
]
