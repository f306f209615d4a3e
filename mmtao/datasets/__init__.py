# Copyright (c) mmtao contributors. All rights reserved.
from .base_sot_dataset import BaseSOTDataset
from .base_vos_dataset import BaseVOSDataset
from .davis_dataset import DAVISDataset
from .got10k_dataset import GOT10kDataset
from .lasot_dataset import LaSOTDataset
from .otb_dataset import OTB100Dataset
from .samplers import *  # noqa: F401,F403
from .synthetic_coco_dataset import SyntheticCocoDataset
from .trackingnet_dataset import TrackingNetDataset
from .transforms import *  # noqa: F401,F403
from .vot_lt_dataset import VOTLTDataset
from .youtube_vos_dataset import YouTubeVOSDataset

__all__ = [
    'BaseSOTDataset', 'BaseVOSDataset', 'DAVISDataset', 'GOT10kDataset',
    'LaSOTDataset', 'OTB100Dataset', 'SyntheticCocoDataset',
    'TrackingNetDataset', 'VOTLTDataset', 'YouTubeVOSDataset'
]
