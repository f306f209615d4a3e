# Copyright (c) mmtao contributors. All rights reserved.
import os
import os.path as osp
import re
from typing import Dict, List, Optional

from mmtao.registry import DATASETS
from .annotation_io import (read_box_file, read_name_list,
                            scan_numbered_frames, xywh_to_xyxy)
from .base_sot_dataset import BaseSOTDataset

# Sequences whose annotation covers only part of the image folder, with the
# image number of their first annotated frame (the OTB toolkit's
# ``configSeqs``: e.g. David runs from 0300.jpg to 0770.jpg).
OTB_START_FRAMES: Dict[str, int] = {
    'David': 300,
    'BlurCar1': 247,
    'BlurCar3': 3,
    'BlurCar4': 18,
    'Tiger1': 6,
    'Football1': 1,
    'Freeman3': 1,
    'Freeman4': 1,
    'Diving': 1,
}


@DATASETS.register_module()
class OTB100Dataset(BaseSOTDataset):
    """OTB100 / OTB2015 (Wu et al., TPAMI 2015) in its official layout::

        data_root/
          <Seq>/img/0001.jpg ...
          <Seq>/groundtruth_rect.txt      x,y,w,h a line (comma, tab or
                                          space separated)
          Jogging/groundtruth_rect.1.txt  two targets -> Jogging-1,
          Jogging/groundtruth_rect.2.txt                 Jogging-2

    A folder with several ``groundtruth_rect.<k>.txt`` gives one sequence
    per file, named ``<Seq>-<k>``; a single numbered file keeps the folder
    name (Human4). When a sequence has fewer boxes than images, its first
    frame comes from ``start_frames`` (default :data:`OTB_START_FRAMES`);
    any other mismatch raises an error naming the annotation file. OTB has
    no absence labels: ``visible`` is a box of positive size.

    Args:
        ann_file (str): Optional list of sequence names relative to
            ``data_root``; ``''`` takes every folder with an ``img``
            subfolder. Defaults to ``''``.
        start_frames (dict, optional): Overrides of the first annotated
            image number per sequence (or folder) name.
        **kwargs: See :class:`BaseSOTDataset`.
    """

    def __init__(self,
                 ann_file: str = '',
                 start_frames: Optional[Dict[str, int]] = None,
                 **kwargs) -> None:
        self.start_frames = dict(OTB_START_FRAMES)
        self.start_frames.update(start_frames or {})
        kwargs.setdefault('data_prefix', dict(img_path=''))
        super().__init__(ann_file=ann_file, **kwargs)

    def _folder_sequences(self, folder: str, name: str) -> List[tuple]:
        """(sequence name, annotation path) pairs of one OTB folder."""
        single = osp.join(folder, 'groundtruth_rect.txt')
        if osp.isfile(single):
            return [(name, single)]
        numbered = sorted(
            (int(m.group(1)), f) for f in os.listdir(folder)
            if (m := re.fullmatch(r'groundtruth_rect\.(\d+)\.txt', f)))
        if not numbered:
            raise FileNotFoundError(f'{folder}: no groundtruth_rect.txt or '
                                    'groundtruth_rect.<k>.txt')
        if len(numbered) == 1:
            return [(name, osp.join(folder, numbered[0][1]))]
        return [(f'{name}-{k}', osp.join(folder, f)) for k, f in numbered]

    def load_data_list(self) -> List[dict]:
        img_root = self.data_prefix.get('img_path', self.data_root)
        wanted = None
        if self.ann_file and not osp.isdir(self.ann_file):
            wanted = read_name_list(self.ann_file)
        folders = sorted({
            re.sub(r'-\d+$', '', n)
            if not osp.isdir(osp.join(img_root, n)) else n
            for n in wanted
        }) if wanted is not None else sorted(
            d for d in os.listdir(img_root)
            if osp.isdir(osp.join(img_root, d, 'img')))
        records = []
        for folder_name in folders:
            folder = osp.join(img_root, folder_name)
            num_imgs, template = scan_numbered_frames(osp.join(folder, 'img'))
            for name, ann_path in self._folder_sequences(folder, folder_name):
                if wanted is not None and name not in wanted:
                    continue
                num_boxes = len(read_box_file(ann_path))
                start = self.start_frames.get(
                    name, self.start_frames.get(folder_name))
                if start is None:
                    if num_boxes != num_imgs:
                        raise ValueError(
                            f'{ann_path}: {num_boxes} boxes but {num_imgs} '
                            f'images in {folder}/img; give the first '
                            f'annotated frame in start_frames={{{name!r}: '
                            '...}')
                    start = 1
                elif start - 1 + num_boxes > num_imgs:
                    raise ValueError(
                        f'{ann_path}: {num_boxes} boxes from image {start} '
                        f'need {start - 1 + num_boxes} images, '
                        f'{folder}/img has {num_imgs}')
                records.append(
                    dict(
                        seq_name=name,
                        video_path=osp.join(folder, 'img'),
                        ann_path=ann_path,
                        video_length=num_boxes,
                        framename_template=template,
                        start_frame_id=start))
        if wanted is not None:
            missing = set(wanted) - {r['seq_name'] for r in records}
            if missing:
                raise FileNotFoundError(
                    f'{self.ann_file}: sequences {sorted(missing)} not '
                    f'found under {img_root}')
        return records

    def load_video_annotations(self, record: dict) -> dict:
        boxes = read_box_file(record['ann_path'], allow_nan=False)
        return dict(bboxes=xywh_to_xyxy(boxes))
