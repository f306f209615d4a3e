# Copyright (c) mmtao contributors. All rights reserved.
"""The local browser demo: pick objects with the mouse, track, watch.

Needs the ``web`` extra (``pip install -e .[web]`` or ``make web``); the
rest of mmtao does not import this package.
"""
from .app import create_app
from .jobs import ModelChoice, TrackingService
from .videos import InputError

__all__ = ['create_app', 'InputError', 'ModelChoice', 'TrackingService']
