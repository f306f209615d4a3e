# Copyright (c) mmtao contributors. All rights reserved.
import os
import os.path as osp
from typing import List

import numpy as np

from mmtao.registry import DATASETS
from .annotation_io import (read_box_file, read_int_labels, read_name_list,
                            scan_numbered_frames, xywh_to_xyxy)
from .base_sot_dataset import BaseSOTDataset


@DATASETS.register_module()
class LaSOTDataset(BaseSOTDataset):
    """LaSOT (Fan et al., CVPR 2019) in its official layout::

        data_root/
          <class>/<class>-<k>/img/00000001.jpg ...
          <class>/<class>-<k>/groundtruth.txt     x,y,w,h a line per frame
          <class>/<class>-<k>/full_occlusion.txt  one line: 0/1 per frame
          <class>/<class>-<k>/out_of_view.txt     one line: 0/1 per frame
        data_root/testing_set.txt                 e.g. "airplane-1" a line

    ``visible`` is ``not full_occlusion and not out_of_view`` (and a box of
    positive size).

    Args:
        ann_file (str): A list of sequence names (``<class>-<k>``), relative
            to ``data_root``, e.g. the toolkit's ``testing_set.txt``; ``''``
            takes every ``<class>/<class>-<k>`` folder. Defaults to
            ``'testing_set.txt'``.
        **kwargs: See :class:`BaseSOTDataset`.
    """

    def __init__(self, ann_file: str = 'testing_set.txt', **kwargs) -> None:
        kwargs.setdefault('data_prefix', dict(img_path=''))
        super().__init__(ann_file=ann_file, **kwargs)

    def _sequence_names(self, img_root: str) -> List[str]:
        if self.ann_file and not osp.isdir(self.ann_file):
            return read_name_list(self.ann_file)
        names = []
        for cls in sorted(os.listdir(img_root)):
            if not osp.isdir(osp.join(img_root, cls)):
                continue
            names += [
                n for n in sorted(os.listdir(osp.join(img_root, cls)))
                if n.startswith(cls +
                                '-') and osp.isdir(osp.join(img_root, cls, n))
            ]
        return names

    def load_data_list(self) -> List[dict]:
        img_root = self.data_prefix.get('img_path', self.data_root)
        records = []
        for name in self._sequence_names(img_root):
            if '-' not in name:
                raise ValueError(f'{self.ann_file}: LaSOT sequence names are '
                                 f'<class>-<k>, got {name!r}')
            seq_dir = osp.join(img_root, name.rsplit('-', 1)[0], name)
            n, template = scan_numbered_frames(osp.join(seq_dir, 'img'))
            records.append(
                dict(
                    seq_name=name,
                    video_path=osp.join(seq_dir, 'img'),
                    seq_dir=seq_dir,
                    video_length=n,
                    framename_template=template,
                    start_frame_id=1))
        return records

    def load_video_annotations(self, record: dict) -> dict:
        seq_dir, n = record['seq_dir'], record['video_length']
        gt_path = osp.join(seq_dir, 'groundtruth.txt')
        boxes = read_box_file(gt_path, allow_nan=False)
        if len(boxes) != n:
            raise ValueError(f'{gt_path}: {len(boxes)} boxes but the '
                             f'sequence has {n} frames')
        visible = np.ones(n, dtype=bool)
        for fname in ('full_occlusion.txt', 'out_of_view.txt'):
            path = osp.join(seq_dir, fname)
            if osp.isfile(path):
                flags = read_int_labels(path, range(2))
                if len(flags) != n:
                    raise ValueError(f'{path}: {len(flags)} flags but the '
                                     f'sequence has {n} frames')
                visible &= flags == 0
        return dict(bboxes=xywh_to_xyxy(boxes), visible=visible)
