# Copyright (c) mmtao contributors. All rights reserved.
import os
import os.path as osp
import re
from typing import List, Optional, Sequence

import numpy as np

from mmtao.registry import DATASETS
from .annotation_io import read_box_file, scan_numbered_frames, xywh_to_xyxy
from .base_sot_dataset import BaseSOTDataset


@DATASETS.register_module()
class TrackingNetDataset(BaseSOTDataset):
    """TrackingNet (Müller et al., ECCV 2018) in its official layout::

        data_root/
          TRAIN_0/anno/<video>.txt        x,y,w,h a line per frame
          TRAIN_0/frames/<video>/0.jpg 1.jpg ...   (numbered from 0)
          ...
          TRAIN_11/...
          TEST/anno/<video>.txt           the first frame's box only
          TEST/frames/<video>/0.jpg ...

    In the test chunk only frame 0 has a box; other frames get NaN boxes and
    ``visible=False``. TrackingNet has no absence labels: ``visible`` is a
    box of positive size.

    Args:
        chunks (Sequence[str], optional): Chunk folders to read. Defaults to
            ``('TEST', )`` in test mode and every ``TRAIN_<k>`` folder of
            ``data_root`` otherwise.
        **kwargs: See :class:`BaseSOTDataset` (``ann_file`` is unused).
    """

    def __init__(self,
                 chunks: Optional[Sequence[str]] = None,
                 **kwargs) -> None:
        self.chunks = None if chunks is None else list(chunks)
        kwargs.setdefault('ann_file', '')
        kwargs.setdefault('data_prefix', dict(img_path=''))
        super().__init__(**kwargs)

    def load_data_list(self) -> List[dict]:
        root = self.data_prefix.get('img_path', self.data_root)
        chunks = self.chunks
        if chunks is None:
            chunks = ['TEST'] if self.test_mode else sorted(
                (d for d in os.listdir(root) if re.fullmatch(r'TRAIN_\d+', d)),
                key=lambda d: int(d.split('_')[1]))
        records = []
        for chunk in chunks:
            anno_dir = osp.join(root, chunk, 'anno')
            if not osp.isdir(anno_dir):
                raise FileNotFoundError(f'TrackingNet chunk {chunk!r}: '
                                        f'{anno_dir} is not a directory')
            for fname in sorted(os.listdir(anno_dir)):
                if not fname.endswith('.txt'):
                    continue
                video = fname[:-4]
                frame_dir = osp.join(root, chunk, 'frames', video)
                n, template = scan_numbered_frames(frame_dir, first=0)
                records.append(
                    dict(
                        seq_name=video,
                        chunk=chunk,
                        video_path=frame_dir,
                        ann_path=osp.join(anno_dir, fname),
                        video_length=n,
                        framename_template=template,
                        start_frame_id=0))
        return records

    def load_video_annotations(self, record: dict) -> dict:
        n, path = record['video_length'], record['ann_path']
        boxes = read_box_file(path, allow_nan=False)
        if len(boxes) == 1 and n > 1:
            boxes = np.concatenate(
                [boxes, np.full((n - 1, 4), np.nan, np.float32)])
        elif len(boxes) != n:
            raise ValueError(f'{path}: {len(boxes)} boxes but the video has '
                             f'{n} frames')
        return dict(bboxes=xywh_to_xyxy(boxes))
