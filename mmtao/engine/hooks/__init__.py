# Copyright (c) mmtao contributors. All rights reserved.
from .memory_recorder_hook import MemoryRecorderHook, read_rss_mb

__all__ = ['MemoryRecorderHook', 'read_rss_mb']
