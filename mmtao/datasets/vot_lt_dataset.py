# Copyright (c) mmtao contributors. All rights reserved.
import os.path as osp
from typing import List

from mmtao.registry import DATASETS
from .annotation_io import (read_box_file, read_name_list,
                            scan_numbered_frames, xywh_to_xyxy)
from .base_sot_dataset import BaseSOTDataset


@DATASETS.register_module()
class VOTLTDataset(BaseSOTDataset):
    """VOT long-term (LTB35: VOT2018-LT / VOT2019-LT) in the VOT toolkit's
    layout::

        data_root/
          list.txt                     one sequence name a line
          <seq>/color/00000001.jpg     (older releases: <seq>/00000001.jpg)
          <seq>/groundtruth.txt        x,y,w,h a line per frame,
                                       "nan,nan,nan,nan" when absent

    ``visible`` is a finite box of positive size; absent frames keep NaN
    boxes.

    Args:
        ann_file (str): The sequence list, relative to ``data_root``.
            Defaults to ``'list.txt'``.
        **kwargs: See :class:`BaseSOTDataset`.
    """

    def __init__(self, ann_file: str = 'list.txt', **kwargs) -> None:
        kwargs.setdefault('data_prefix', dict(img_path=''))
        super().__init__(ann_file=ann_file, **kwargs)

    def load_data_list(self) -> List[dict]:
        img_root = self.data_prefix.get('img_path', self.data_root)
        records = []
        for name in read_name_list(self.ann_file):
            seq_dir = osp.join(img_root, name)
            frame_dir = osp.join(seq_dir, 'color')
            if not osp.isdir(frame_dir):
                frame_dir = seq_dir
            n, template = scan_numbered_frames(frame_dir)
            records.append(
                dict(
                    seq_name=name,
                    video_path=frame_dir,
                    ann_path=osp.join(seq_dir, 'groundtruth.txt'),
                    video_length=n,
                    framename_template=template,
                    start_frame_id=1))
        return records

    def load_video_annotations(self, record: dict) -> dict:
        path = record['ann_path']
        boxes = read_box_file(path, allow_nan=True)
        if len(boxes) != record['video_length']:
            raise ValueError(f'{path}: {len(boxes)} boxes but the sequence '
                             f'has {record["video_length"]} frames')
        # the metric scores the values as read (the toolkit's): x1 + w - x1
        # in float32 is not always w, and w = 29.5 rounds to 30, 29.499998 to 29
        return dict(bboxes=xywh_to_xyxy(boxes), bboxes_xywh=boxes)
