# Copyright (c) mmtao contributors. All rights reserved.
import os.path as osp
from typing import List, Union

import numpy as np

from mmtao.registry import DATASETS
from .annotation_io import (read_box_file, read_int_labels, read_name_list,
                            scan_numbered_frames, xywh_to_xyxy)
from .base_sot_dataset import BaseSOTDataset


@DATASETS.register_module()
class GOT10kDataset(BaseSOTDataset):
    """GOT-10k (Huang et al., TPAMI 2019) in its official layout, and the
    synthetic world, which writes the same layout.

    Layout of one split (``data_root``)::

        list.txt                    one sequence name a line
        <seq>/00000001.jpg ...      frames, numbered from 1
        <seq>/groundtruth.txt       x,y,w,h a line per frame (test split:
                                    only the first frame)
        <seq>/absence.label         1 = object absent (train / val)
        <seq>/cover.label           visible ratio level 0..8 (train / val)
        <seq>/masks/00000001.png    optional, uint8 0/255 (synthetic world)

    ``visible`` is ``absence == 0 and cover > 0`` where those labels exist;
    ``visible_ratio`` is ``cover / 8``. In the test split only frame 0 has a
    box; the other frames get NaN boxes and ``visible=False``.

    ``nan,nan,nan,nan`` lines: allowed on frames that are not visible (the
    labels say so); a NaN box on a visible frame (or in a sequence without
    labels) and a NaN first box (the initialisation) raise ``ValueError``
    naming ``groundtruth.txt`` and the line.

    The number of frames is the number of ``%08d.jpg`` files; they must be
    numbered 1..N without gaps (else ``FileNotFoundError`` naming the first
    missing frame).

    Args:
        ann_file (str): The sequence list, relative to ``data_root``.
            Defaults to ``'list.txt'``.
        with_mask (bool | str): ``'auto'`` uses ``<seq>/masks`` when it
            exists, True requires it, False ignores it. Defaults to
            ``'auto'``.
        **kwargs: See :class:`BaseSOTDataset`. ``data_prefix['img_path']``
            (default ``''``) is where the sequence folders are, relative to
            ``data_root``.
    """

    def __init__(self,
                 ann_file: str = 'list.txt',
                 with_mask: Union[bool, str] = 'auto',
                 **kwargs) -> None:
        if with_mask not in (True, False, 'auto'):
            raise ValueError("with_mask must be True, False or 'auto', got "
                             f'{with_mask!r}')
        self.with_mask = with_mask
        kwargs.setdefault('data_prefix', dict(img_path=''))
        super().__init__(ann_file=ann_file, **kwargs)

    def load_data_list(self) -> List[dict]:
        """One record per line of ``list.txt``."""
        img_root = self.data_prefix.get('img_path', self.data_root)
        records = []
        for name in read_name_list(self.ann_file):
            seq_dir = osp.join(img_root, name)
            if not osp.isdir(seq_dir):
                raise FileNotFoundError(
                    f'{self.ann_file}: sequence {name!r} is listed but '
                    f'{seq_dir} is not a directory')
            n, template = scan_numbered_frames(seq_dir, ('.jpg', ), 1)
            if template != '%08d.jpg':
                raise ValueError(f'{seq_dir}: frames must be named '
                                 f'00000001.jpg ..., found {template}')
            records.append(
                dict(
                    seq_name=name,
                    video_path=seq_dir,
                    video_length=n,
                    framename_template='%08d.jpg',
                    start_frame_id=1))
        return records

    def get_frame_info(self, video_idx: int, frame_idx: int) -> dict:
        """The test-mode item (see :class:`BaseSOTDataset`) plus, when the
        sequence has ``cover.label``, ``cover_visible``: the frames the
        GOT-10k toolkit scores (``cover > 0``, whatever ``absence.label``
        says), used by :class:`~mmtao.evaluation.GOT10kMetric`."""
        info = super().get_frame_info(video_idx, frame_idx)
        ann = self.get_ann_infos_by_video(video_idx)
        if 'cover_visible' in ann:
            info['cover_visible'] = bool(ann['cover_visible'][frame_idx])
        return info

    def load_video_annotations(self, record: dict) -> dict:
        seq_dir, n = record['video_path'], record['video_length']
        gt_path = osp.join(seq_dir, 'groundtruth.txt')
        boxes = read_box_file(gt_path)
        if len(boxes) and np.isnan(boxes[0]).any():
            # the first box initialises the tracker: no absence label
            # can stand in for it
            raise ValueError(
                f'{gt_path}:1: NaN in the first box, which initialises the '
                'tracker; expected x,y,w,h of the object in frame 1')
        if len(boxes) == 1 and n > 1:
            # Test split: only the initial box is public.
            boxes = np.concatenate(
                [boxes, np.full((n - 1, 4), np.nan, np.float32)])
            visible = np.zeros(n, dtype=bool)
            visible[0] = True
            ann = dict(bboxes=xywh_to_xyxy(boxes), visible=visible)
        elif len(boxes) != n:
            raise ValueError(f'{gt_path}: {len(boxes)} boxes but the '
                             f'sequence has {n} frames')
        else:
            visible = np.ones(n, dtype=bool)
            ann = dict(bboxes=xywh_to_xyxy(boxes))
            absence_path = osp.join(seq_dir, 'absence.label')
            if osp.isfile(absence_path):
                absence = read_int_labels(absence_path, range(2))
                self._check_len(absence_path, absence, n)
                visible &= absence == 0
            cover_path = osp.join(seq_dir, 'cover.label')
            if osp.isfile(cover_path):
                cover = read_int_labels(cover_path, range(9))
                self._check_len(cover_path, cover, n)
                visible &= cover > 0
                ann['visible_ratio'] = (cover / 8.).astype(np.float32)
                # the toolkit scores every frame with cover > 0, also one
                # that absence.label marks absent (when its box is finite)
                ann['cover_visible'] = (cover > 0) & np.isfinite(boxes).all(1)
            nan_rows = np.flatnonzero(np.isnan(boxes).any(1) & visible)
            if len(nan_rows):
                # the toolkit would score NaN for the whole benchmark
                raise ValueError(
                    f'{gt_path}:{nan_rows[0] + 1}: NaN box on a frame marked '
                    'visible (absence.label 0, cover.label > 0 or no such '
                    'labels)')
            ann['visible'] = visible
        mask_dir = osp.join(seq_dir, 'masks')
        if self.with_mask is True and not osp.isdir(mask_dir):
            raise FileNotFoundError(f'with_mask=True but {mask_dir} does '
                                    'not exist')
        if self.with_mask and osp.isdir(mask_dir):
            ann['mask_paths'] = [
                osp.join(mask_dir, f'{i + 1:08d}.png') for i in range(n)
            ]
        return ann

    @staticmethod
    def _check_len(path: str, labels: np.ndarray, n: int) -> None:
        if len(labels) != n:
            raise ValueError(f'{path}: {len(labels)} labels but the sequence '
                             f'has {n} frames')
