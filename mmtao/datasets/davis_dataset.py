# Copyright (c) mmtao contributors. All rights reserved.
import os
import os.path as osp
from typing import List

import numpy as np

from mmtao.registry import DATASETS
from .annotation_io import read_name_list
from .base_vos_dataset import BaseVOSDataset, read_palette_png


@DATASETS.register_module()
class DAVISDataset(BaseVOSDataset):
    """DAVIS 2017 (Pont-Tuset et al., 2017) in its official layout::

        data_root/
          JPEGImages/480p/<video>/00000.jpg ...
          Annotations/480p/<video>/00000.png ...  (indexed PNG: 0 background,
                                                   k = object k, 255 void)
          ImageSets/2017/train.txt | val.txt      one video a line

    One sequence per object present in the video's first annotation, named
    ``<video>_<k>``; boxes, visibility and RLE masks come from the PNGs (see
    :class:`BaseVOSDataset`).

    Args:
        ann_file (str): The video list, relative to ``data_root``. Defaults
            to ``'ImageSets/2017/val.txt'``.
        resolution (str): ``'480p'`` or ``'Full-Resolution'``. Defaults to
            ``'480p'``.
        **kwargs: See :class:`BaseSOTDataset`.
    """

    def __init__(self,
                 ann_file: str = 'ImageSets/2017/val.txt',
                 resolution: str = '480p',
                 **kwargs) -> None:
        self.resolution = resolution
        kwargs.setdefault(
            'data_prefix',
            dict(
                img_path=f'JPEGImages/{resolution}',
                ann_path=f'Annotations/{resolution}'))
        super().__init__(ann_file=ann_file, **kwargs)

    def load_data_list(self) -> List[dict]:
        img_root = self.data_prefix['img_path']
        ann_root = self.data_prefix['ann_path']
        records = []
        for video in read_name_list(self.ann_file):
            img_dir = osp.join(img_root, video)
            ann_dir = osp.join(ann_root, video)
            if not osp.isdir(img_dir):
                raise FileNotFoundError(f'{self.ann_file}: video {video!r} '
                                        f'is listed but {img_dir} is not a '
                                        'directory')
            frames = sorted(
                f for f in os.listdir(img_dir) if f.endswith('.jpg'))
            if not frames:
                raise FileNotFoundError(f'{img_dir}: no .jpg frames')
            anns = set(os.listdir(ann_dir)) if osp.isdir(ann_dir) else set()
            ann_names = [
                f[:-4] + '.png' if f[:-4] + '.png' in anns else None
                for f in frames
            ]
            if ann_names[0] is None:
                raise FileNotFoundError(
                    f'missing annotation {osp.join(ann_dir, frames[0][:-4])}'
                    '.png of the first frame')
            first = read_palette_png(osp.join(ann_dir, ann_names[0]))
            # the official evaluation scores objects 1..max id of frame 0,
            # also an id missing there (a gap): DAVISMetric needs the count
            num_objects = int(first[first != 255].max(initial=0))
            for obj_id in np.unique(first):
                if obj_id in (0, 255):
                    continue
                records.append(
                    dict(
                        seq_name=f'{video}_{obj_id}',
                        video=video,
                        obj_id=int(obj_id),
                        video_path=img_dir,
                        frame_names=frames,
                        ann_dir=ann_dir,
                        ann_names=ann_names,
                        video_num_objects=num_objects,
                        video_length=len(frames)))
        return records

    def get_frame_info(self, video_idx: int, frame_idx: int) -> dict:
        """The test-mode item (see :class:`BaseSOTDataset`) plus
        ``ann_png`` (the frame's annotation PNG, None if not annotated) and
        ``video_num_objects`` (the largest object id of the video's first
        annotation), which :class:`~mmtao.evaluation.DAVISMetric` needs to
        score the ids of a gap as the official evaluation does."""
        info = super().get_frame_info(video_idx, frame_idx)
        record = self._record(video_idx)
        name = record['ann_names'][frame_idx]
        info['ann_png'] = osp.join(record['ann_dir'], name) if name else None
        info['video_num_objects'] = record['video_num_objects']
        return info
