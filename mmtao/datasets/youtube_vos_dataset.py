# Copyright (c) mmtao contributors. All rights reserved.
import json
import os
import os.path as osp
from typing import List

from mmtao.registry import DATASETS
from .base_vos_dataset import BaseVOSDataset


@DATASETS.register_module()
class YouTubeVOSDataset(BaseVOSDataset):
    """YouTube-VOS (Xu et al., 2018; 2018/2019 releases) in its official
    layout::

        data_root/<split>/
          JPEGImages/<video>/00000.jpg 00005.jpg ...  (train: every 5th frame)
          Annotations/<video>/00000.png ...          (indexed PNG of ids)
          meta.json   {"videos": {<video>: {"objects": {"1": {
                          "category": "person", "frames": ["00000", ...]}}}}}

    One sequence per object of ``meta.json``, named ``<video>_<id>``,
    starting at the object's first listed frame (objects may enter late).
    Boxes, visibility and RLE masks come from the PNGs (see
    :class:`BaseVOSDataset`); frames without a PNG (the valid split only
    annotates first appearances) get NaN boxes and ``visible=False``.

    Args:
        split (str): ``'train'``, ``'valid'`` or ``'test'``. Defaults to
            ``'train'``.
        **kwargs: See :class:`BaseSOTDataset`. ``ann_file`` defaults to
            ``'<split>/meta.json'``.
    """

    def __init__(self, split: str = 'train', **kwargs) -> None:
        self.split = split
        kwargs.setdefault('ann_file', f'{split}/meta.json')
        kwargs.setdefault(
            'data_prefix',
            dict(
                img_path=f'{split}/JPEGImages',
                ann_path=f'{split}/Annotations'))
        super().__init__(**kwargs)

    def load_data_list(self) -> List[dict]:
        with open(self.ann_file) as f:
            try:
                meta = json.load(f)
            except json.JSONDecodeError as e:
                raise ValueError(f'{self.ann_file}: invalid JSON ({e})') \
                    from None
        if not isinstance(meta.get('videos'), dict):
            raise ValueError(
                f'{self.ann_file}: expected {{"videos": {{...}}}}')
        img_root = self.data_prefix['img_path']
        ann_root = self.data_prefix['ann_path']
        records = []
        for video in sorted(meta['videos']):
            objects = meta['videos'][video].get('objects')
            if not isinstance(objects, dict):
                raise ValueError(f'{self.ann_file}: video {video!r} has no '
                                 '"objects" dict')
            img_dir = osp.join(img_root, video)
            if not osp.isdir(img_dir):
                raise FileNotFoundError(f'{self.ann_file}: video {video!r} '
                                        f'is listed but {img_dir} is not a '
                                        'directory')
            frames = sorted(f[:-4] for f in os.listdir(img_dir)
                            if f.endswith('.jpg'))
            ann_dir = osp.join(ann_root, video)
            anns = set(os.listdir(ann_dir)) if osp.isdir(ann_dir) else set()
            for obj_key in sorted(objects, key=int):
                listed = objects[obj_key].get('frames') or []
                if not listed:
                    continue
                if listed[0] not in frames:
                    raise FileNotFoundError(
                        f'{self.ann_file}: object {obj_key} of {video!r} '
                        f'starts at frame {listed[0]!r}, missing from '
                        f'{img_dir}')
                mine = frames[frames.index(listed[0]):]
                records.append(
                    dict(
                        seq_name=f'{video}_{obj_key}',
                        video=video,
                        obj_id=int(obj_key),
                        category=objects[obj_key].get('category'),
                        video_path=img_dir,
                        frame_names=[f + '.jpg' for f in mine],
                        ann_dir=ann_dir,
                        ann_names=[
                            f + '.png' if f + '.png' in anns else None
                            for f in mine
                        ],
                        video_length=len(mine)))
        return records
