# Copyright (c) mmtao contributors. All rights reserved.
import csv
import os.path as osp
from typing import Dict, List, Tuple

import numpy as np
from PIL import Image

from mmtao.registry import DATASETS
from .base_sot_dataset import BaseSOTDataset

# Column orders of OxUvA's csv files (no header rows).
TASK_FIELDS = ('video_id', 'object_id', 'init_frame', 'last_frame', 'xmin',
               'xmax', 'ymin', 'ymax')
TRACK_FIELDS = ('video_id', 'object_id', 'class_id', 'class_name',
                'contains_cow', 'frame_num', 'present', 'xmin', 'xmax', 'ymin',
                'ymax')


def _read_csv(path: str, fields: Tuple[str, ...]) -> List[dict]:
    rows = []
    with open(path, newline='') as f:
        for line_no, row in enumerate(csv.reader(f), 1):
            if not row:
                continue
            if len(row) != len(fields):
                raise ValueError(f'{path}:{line_no}: expected '
                                 f'{len(fields)} fields ({",".join(fields)})'
                                 f', got {len(row)}')
            rows.append(dict(zip(fields, row), line_no=line_no))
    return rows


def _norm_box(row: dict, path: str) -> List[float]:
    try:
        x1, x2, y1, y2 = (
            float(row[k]) for k in ('xmin', 'xmax', 'ymin', 'ymax'))
    except ValueError:
        raise ValueError(f'{path}:{row["line_no"]}: non-numeric box') \
            from None
    if x2 < x1 or y2 < y1:
        raise ValueError(f'{path}:{row["line_no"]}: negative box size '
                         f'(xmin={x1:g} > xmax={x2:g} or ymin={y1:g} > '
                         f'ymax={y2:g})')
    return [x1, y1, x2, y2]


@DATASETS.register_module()
class OxUvADataset(BaseSOTDataset):
    """OxUvA long-term tracking (Valmadre et al., ECCV 2018) in its official
    layout::

        data_root/
          images/<split>/<video_id>/000000.jpeg ...   (all frames, 30 fps)
          tasks/<split>.csv        video_id,object_id,init_frame,last_frame,
                                   xmin,xmax,ymin,ymax
          annotations/<split>.csv  video_id,object_id,class_id,class_name,
                                   contains_cow,frame_num,present,
                                   xmin,xmax,ymin,ymax   (dev split only)

    Coordinates in the csv files are normalised to [0, 1]; boxes here are in
    pixels (``x * width``, ``y * height`` of the video's first frame).

    One sequence per task, named ``<video_id>_<object_id>``, from
    ``init_frame`` to ``last_frame``. Frame 0 has the task's initial box.
    Annotations exist once per second (every 30th frame): there ``visible``
    is ``present == 'present'``; all other frames get NaN boxes and
    ``visible=False``. The test split has no annotation file: only frame 0
    is known.

    Args:
        split (str): ``'dev'`` or ``'test'``. Defaults to ``'dev'``.
        **kwargs: See :class:`BaseSOTDataset`; ``ann_file`` defaults to
            ``'tasks/<split>.csv'``.
    """

    def __init__(self, split: str = 'dev', **kwargs) -> None:
        self.split = split
        kwargs.setdefault('ann_file', f'tasks/{split}.csv')
        kwargs.setdefault('data_prefix', dict(img_path=f'images/{split}'))
        super().__init__(**kwargs)

    def load_data_list(self) -> List[dict]:
        img_root = self.data_prefix['img_path']
        tracks: Dict[Tuple[str, str], List[dict]] = {}
        ann_path = osp.join(
            osp.dirname(osp.dirname(self.ann_file)), 'annotations',
            f'{self.split}.csv')
        if osp.isfile(ann_path):
            for row in _read_csv(ann_path, TRACK_FIELDS):
                tracks.setdefault((row['video_id'], row['object_id']),
                                  []).append(row)
        records = []
        for task in _read_csv(self.ann_file, TASK_FIELDS):
            try:
                init, last = int(task['init_frame']), int(task['last_frame'])
            except ValueError:
                raise ValueError(f'{self.ann_file}:{task["line_no"]}: '
                                 'non-integer init_frame/last_frame') from None
            if last < init:
                raise ValueError(f'{self.ann_file}:{task["line_no"]}: '
                                 f'last_frame {last} < init_frame {init}')
            key = (task['video_id'], task['object_id'])
            records.append(
                dict(
                    seq_name=f'{key[0]}_{key[1]}',
                    video_path=osp.join(img_root, key[0]),
                    video_length=last - init + 1,
                    framename_template='%06d.jpeg',
                    start_frame_id=init,
                    init_box=_norm_box(task, self.ann_file),
                    ann_path=ann_path,
                    track_rows=tracks.get(key, [])))
        return records

    def load_video_annotations(self, record: dict) -> dict:
        n, init = record['video_length'], record['start_frame_id']
        first = self.frame_path(record, 0)
        try:
            with Image.open(first) as img:
                width, height = img.size
        except FileNotFoundError:
            raise FileNotFoundError(f'missing frame {first}') from None
        scale = np.array([width, height, width, height], np.float32)
        bboxes = np.full((n, 4), np.nan, np.float32)
        visible = np.zeros(n, dtype=bool)
        bboxes[0] = np.asarray(record['init_box'], np.float32) * scale
        visible[0] = True
        for row in record['track_rows']:
            where = f'{record["ann_path"]}:{row["line_no"]}'
            try:
                i = int(row['frame_num']) - init
            except ValueError:
                raise ValueError(f'{where}: non-integer frame_num') from None
            if not 0 <= i < n:
                continue  # annotations outside the task's frame range
            if row['present'] not in ('present', 'absent'):
                raise ValueError(f'{where}: present must be "present" or '
                                 f'"absent", got {row["present"]!r}')
            visible[i] = row['present'] == 'present'
            if visible[i]:
                bboxes[i] = np.asarray(
                    _norm_box(row, record['ann_path']), np.float32) * scale
        return dict(bboxes=bboxes, visible=visible)
