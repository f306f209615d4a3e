# Copyright (c) mmtao contributors. All rights reserved.
import csv
import os.path as osp
from typing import Dict, List, Tuple

import numpy as np
from PIL import Image

from mmtao.registry import DATASETS
from .base_sot_dataset import BaseSOTDataset

# Column orders of OxUvA's csv files (no header rows), as in the official
# ``dataset/tasks/<split>.csv`` and ``dataset/annotations/<split>.csv``.
TASK_FIELDS = ('video_id', 'object_id', 'init_frame', 'last_frame', 'xmin',
               'xmax', 'ymin', 'ymax')
TRACK_FIELDS = ('video_id', 'object_id', 'class_id', 'class_name',
                'contains_cuts', 'always_visible', 'frame_num',
                'object_presence', 'xmin', 'xmax', 'ymin', 'ymax')


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


def _int_field(row: dict, key: str, path: str) -> int:
    try:
        return int(row[key])
    except ValueError:
        raise ValueError(f'{path}:{row["line_no"]}: {key} must be an integer,'
                         f' got {row[key]!r}') from None


def _norm_box(row: dict, path: str) -> List[float]:
    try:
        x1, x2, y1, y2 = (
            float(row[k]) for k in ('xmin', 'xmax', 'ymin', 'ymax'))
    except ValueError:
        raise ValueError(f'{path}:{row["line_no"]}: non-numeric box') \
            from None
    if not np.isfinite([x1, x2, y1, y2]).all():
        raise ValueError(f'{path}:{row["line_no"]}: NaN or infinite box '
                         'coordinate')
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
                                   contains_cuts,always_visible,frame_num,
                                   object_presence,xmin,xmax,ymin,ymax
                                   (dev split only; object_presence is
                                   present / absent)

    Coordinates in the csv files are fractions of the image size; boxes here
    are in pixels (``x * width``, ``y * height`` of the video's first frame
    of the task).

    One sequence per task, named ``<video_id>_<object_id>``, holding the
    frames ``init_frame … last_frame`` (frame index ``i`` is the video's
    frame number ``init_frame + i``). Index 0 has the task's initial box.
    Labels exist once a second (every 30th frame); every test item carries

    - ``annotated`` (bool): the frame has a label, present or absent (the
      frames the official toolkit assesses, together with ``visible``);
    - ``frame_num`` (int): the absolute frame number in the video, the key
      of OxUvA's prediction files.

    Unlabelled frames get NaN boxes and ``visible=False``. The test split
    has no annotation file: only index 0 is known and nothing else is
    ``annotated``. A label outside the task's frames, a repeated label or a
    presence other than ``present`` / ``absent`` is an error naming the file
    and line.

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
            init = _int_field(task, 'init_frame', self.ann_file)
            last = _int_field(task, 'last_frame', self.ann_file)
            if init < 0 or last < init:
                raise ValueError(f'{self.ann_file}:{task["line_no"]}: '
                                 f'expected 0 <= init_frame <= last_frame, '
                                 f'got init_frame {init}, last_frame {last}')
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
        annotated = np.zeros(n, dtype=bool)
        bboxes[0] = np.asarray(record['init_box'], np.float32) * scale
        visible[0] = True
        path = record['ann_path']
        for row in record['track_rows']:
            where = f'{path}:{row["line_no"]}'
            frame_num = _int_field(row, 'frame_num', path)
            i = frame_num - init
            if not 0 <= i < n:
                # The toolkit takes a track's first label as its init frame
                # and assesses every later label: a label outside the task
                # would be scored against a frame mmtao never tracks.
                raise ValueError(
                    f'{where}: label at frame {frame_num} is outside the '
                    f'task {record["seq_name"]} (frames {init}..'
                    f'{init + n - 1})')
            presence = row['object_presence']
            if presence not in ('present', 'absent'):
                raise ValueError(f'{where}: object_presence must be '
                                 f'"present" or "absent", got {presence!r}')
            if annotated[i]:
                raise ValueError(f'{where}: a second label for frame '
                                 f'{frame_num}')
            annotated[i] = True
            if i == 0:
                continue  # the task's own init box is the reference there
            visible[i] = presence == 'present'
            if visible[i]:
                bboxes[i] = np.asarray(_norm_box(row, path),
                                       np.float32) * scale
        return dict(bboxes=bboxes, visible=visible, annotated=annotated)

    def get_frame_info(self, video_idx: int, frame_idx: int) -> dict:
        """The test-mode item (see :class:`BaseSOTDataset`) plus
        ``annotated`` (bool) and ``frame_num`` (absolute frame number)."""
        info = super().get_frame_info(video_idx, frame_idx)
        ann = self.get_ann_infos_by_video(video_idx)
        info['annotated'] = bool(ann['annotated'][frame_idx])
        info['frame_num'] = int(
            self._record(video_idx)['start_frame_id'] + frame_idx)
        return info
