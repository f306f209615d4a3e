# Copyright (c) mmtao contributors. All rights reserved.
from .track_drawing import draw_tracks, track_colors

__all__ = ['draw_tracks', 'track_colors']
