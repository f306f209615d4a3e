# Copyright (c) mmtao contributors. All rights reserved.
from .sprite_bank import (CATEGORIES, Sprite, build_background_bank,
                          build_sprite_bank)
from .world_generator import SyntheticWorldGenerator

__all__ = [
    'CATEGORIES', 'Sprite', 'build_background_bank', 'build_sprite_bank',
    'SyntheticWorldGenerator'
]
