# Copyright (c) mmtao contributors. All rights reserved.
from .base_sot_dataset import BaseSOTDataset
from .got10k_dataset import GOT10kDataset
from .samplers import *  # noqa: F401,F403
from .synthetic_coco_dataset import SyntheticCocoDataset
from .transforms import *  # noqa: F401,F403

__all__ = ['BaseSOTDataset', 'GOT10kDataset', 'SyntheticCocoDataset']
