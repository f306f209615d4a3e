# Copyright (c) mmtao contributors. All rights reserved.
from .base_sot_dataset import BaseSOTDataset
from .base_vos_dataset import BaseVOSDataset
from .davis_dataset import DAVISDataset
from .got10k_dataset import GOT10kDataset
from .imagenet_vid_dataset import ImageNetVIDDataset
from .lasot_dataset import LaSOTDataset
from .otb_dataset import OTB100Dataset
from .oxuva_dataset import OxUvADataset
from .samplers import *  # noqa: F401,F403
from .synthetic_coco_dataset import SyntheticCocoDataset
from .trackingnet_dataset import TrackingNetDataset
from .transforms import *  # noqa: F401,F403
from .vot_lt_dataset import VOTLTDataset
from .youtube_vos_dataset import YouTubeVOSDataset

__all__ = [
    'BaseSOTDataset', 'BaseVOSDataset', 'DAVISDataset', 'GOT10kDataset',
    'ImageNetVIDDataset', 'LaSOTDataset', 'OTB100Dataset', 'OxUvADataset',
    'SyntheticCocoDataset', 'TrackingNetDataset', 'VOTLTDataset',
    'YouTubeVOSDataset'
]
