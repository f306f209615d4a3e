# Copyright (c) mmtao contributors. All rights reserved.
from mmdet.datasets import CocoDataset

from mmtao.registry import DATASETS
from .synthetic.sprite_bank import CATEGORIES


@DATASETS.register_module()
class SyntheticCocoDataset(CocoDataset):
    """mmdet's :class:`CocoDataset` with the synthetic world's classes.

    Reads ``DIR/annotations/coco.json`` written by
    ``tools/misc/make_synthetic_world.py``; image ``file_name`` entries are
    relative to ``DIR``, so use ``data_root=DIR``,
    ``ann_file='annotations/coco.json'`` and ``data_prefix=dict(img='')``.
    """

    METAINFO = dict(
        classes=CATEGORIES,
        palette=[(220, 20, 60), (119, 11, 32), (0, 0, 142), (0, 0, 230),
                 (106, 0, 228), (0, 60, 100)])
