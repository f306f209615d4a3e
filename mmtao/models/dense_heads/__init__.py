# Copyright (c) mmtao contributors. All rights reserved.
from .tracking_rpn_head import TrackingRPNHead

__all__ = ['TrackingRPNHead']
