# Copyright (c) mmtao contributors. All rights reserved.
from .sprite_bank import (CATEGORIES, Sprite, build_background_bank,
                          build_sprite_bank)
from .any_object_world import AnyObjectWorldGenerator, identities_of
from .identity_bank import IdentityBank, PhotoBank
from .real_world import RealWorldGenerator
from .world_generator import SyntheticWorldGenerator

__all__ = [
    'CATEGORIES', 'Sprite', 'build_background_bank', 'build_sprite_bank',
    'SyntheticWorldGenerator', 'AnyObjectWorldGenerator', 'RealWorldGenerator', 'IdentityBank',
    'PhotoBank', 'identities_of'
]
