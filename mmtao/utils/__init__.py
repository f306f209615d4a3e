# Copyright (c) mmtao contributors. All rights reserved.
from .checkpoint import (CHECKPOINT_SAFE_GLOBALS, check_checkpoint_matches,
                         load_checkpoint_file,
                         register_checkpoint_safe_globals)
from .setup_env import register_all_modules

__all__ = [
    'CHECKPOINT_SAFE_GLOBALS', 'check_checkpoint_matches',
    'load_checkpoint_file', 'register_checkpoint_safe_globals',
    'register_all_modules'
]
