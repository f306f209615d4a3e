# Copyright (c) mmtao contributors. All rights reserved.
from .palette import object_colors
from .track_drawing import draw_tracks, track_colors

__all__ = ['draw_tracks', 'object_colors', 'track_colors']
