# Copyright (c) mmtao contributors. All rights reserved.
import json
import os.path as osp
from typing import List

import numpy as np

from mmtao.registry import DATASETS
from .base_sot_dataset import BaseSOTDataset


@DATASETS.register_module()
class ImageNetVIDDataset(BaseSOTDataset):
    """ImageNet VID (ILSVRC2015) object tracks as SOT sequences (boxes, no
    masks).

    Official layout, plus the index written once by
    ``tools/dataset_converters/imagenet_vid_to_sot.py``::

        data_root/
          Data/VID/train/ILSVRC2015_VID_train_0000/<video>/000000.JPEG ...
          Data/VID/val/<video>/000000.JPEG ...
          Annotations/VID/<split>/.../<video>/000000.xml ...
          annotations/imagenet_vid_<split>_sot.json    (the converter's)

    One sequence per (video, track id), named ``<video>_<track id>``, from
    the track's first to its last frame; frames inside that span where the
    track has no box get NaN boxes and ``visible=False``. The XML
    ``occluded`` flags are kept as ``occluded`` (occluded objects stay
    visible).

    Args:
        ann_file (str): The converter's json, relative to ``data_root``.
            Defaults to ``'annotations/imagenet_vid_train_sot.json'``.
        **kwargs: See :class:`BaseSOTDataset`; ``data_prefix['img_path']``
            defaults to ``'Data/VID'``.
    """

    def __init__(self,
                 ann_file: str = 'annotations/imagenet_vid_train_sot.json',
                 **kwargs) -> None:
        kwargs.setdefault('data_prefix', dict(img_path='Data/VID'))
        super().__init__(ann_file=ann_file, **kwargs)

    def load_data_list(self) -> List[dict]:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'{self.ann_file} not found; write it with '
                'tools/dataset_converters/imagenet_vid_to_sot.py')
        with open(self.ann_file) as f:
            try:
                index = json.load(f)
            except json.JSONDecodeError as e:
                raise ValueError(f'{self.ann_file}: invalid JSON ({e})') \
                    from None
        img_root = self.data_prefix['img_path']
        records = []
        for k, track in enumerate(index.get('tracks', [])):
            bboxes = track.get('bboxes')
            if not bboxes:
                raise ValueError(f'{self.ann_file}: track #{k} has no boxes')
            records.append(
                dict(
                    seq_name=f'{track["video"]}_{track["track_id"]}',
                    category=track.get('category'),
                    video_path=osp.join(img_root, track['video']),
                    video_length=len(bboxes),
                    framename_template='%06d.JPEG',
                    start_frame_id=int(track['start_frame']),
                    track_index=k,
                    bboxes=bboxes,
                    occluded=track.get('occluded')))
        return records

    def load_video_annotations(self, record: dict) -> dict:
        n = record['video_length']
        bboxes = np.full((n, 4), np.nan, np.float32)
        where = f'{self.ann_file}: track #{record["track_index"]}'
        for i, box in enumerate(record['bboxes']):
            if box is None:
                continue
            if len(box) != 4:
                raise ValueError(f'{where} frame {i}: expected 4 numbers '
                                 f'(xyxy), got {box}')
            if box[2] < box[0] or box[3] < box[1]:
                raise ValueError(f'{where} frame {i}: negative box size in '
                                 f'{box}')
            bboxes[i] = box
        ann = dict(bboxes=bboxes)
        if record.get('occluded') is not None:
            ann['occluded'] = np.asarray(record['occluded'], dtype=bool)
        return ann
