# Copyright (c) mmtao contributors. All rights reserved.
from .allocator import release_free_memory, setup_allocator
from .checkpoint import (CHECKPOINT_SAFE_GLOBALS, check_checkpoint_matches,
                         load_checkpoint_file,
                         register_checkpoint_safe_globals)
from .setup_env import register_all_modules
from .threads import default_num_threads, setup_num_threads

__all__ = [
    'CHECKPOINT_SAFE_GLOBALS', 'check_checkpoint_matches',
    'load_checkpoint_file', 'register_checkpoint_safe_globals',
    'register_all_modules', 'default_num_threads', 'setup_num_threads',
    'setup_allocator', 'release_free_memory'
]
