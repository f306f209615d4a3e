# Copyright (c) mmtao contributors. All rights reserved.
"""Export the tracker's masks: COCO RLE json and a zip of per-frame PNGs.

- ``NAME_masks.json``: a COCO-style file that ``pycocotools.coco.COCO``
  loads: one image per frame (``id`` = the frame index in the video), one
  annotation per object and frame with ``segmentation`` (RLE, pycocotools'
  ``mask.encode``), ``bbox`` (x, y, w, h), ``score`` and ``object`` (its
  number on the page, also ``track_id``).
- ``NAME_masks.zip``: ``NNNNNN.png`` per frame (the frame index), palette
  PNGs as DAVIS / YouTube-VOS store them: pixel value k + 1 = object k, 0 =
  background, coloured with the page's palette; where two masks overlap the
  higher object number is written.

Masks are the tracker's (``pred_track_instances.masks``): on the start frame
that is each box's area, as :class:`SOTTracker` returns it.
"""
import io
import json
import os
import zipfile
from typing import List

import numpy as np


class MaskExporter:
    """Collect one frame's masks at a time; ``close()`` writes the json.

    The zip is written as frames arrive (a stopped job keeps the frames so
    far), the json at ``close()``.

    Args:
        json_path (str): Output COCO RLE json.
        zip_path (str): Output zip of PNGs.
        width (int): Frame width.
        height (int): Frame height.
        video_name (str): Recorded in the json's ``info``.
    """

    def __init__(self, json_path: str, zip_path: str, width: int,
                 height: int, video_name: str) -> None:
        from mmtao.visualization import object_colors
        self.json_path, self.zip_path = json_path, zip_path
        self.width, self.height = width, height
        self.video_name = video_name
        self.images: List[dict] = []
        self.annotations: List[dict] = []
        self._zip = zipfile.ZipFile(zip_path, 'w', zipfile.ZIP_DEFLATED)
        palette = [0, 0, 0]
        for rgb in object_colors(255):
            palette.extend(rgb)
        self._palette = palette

    def add(self, index: int, bboxes: np.ndarray, scores: np.ndarray,
            masks: np.ndarray) -> None:
        """Add frame ``index``.

        Args:
            index (int): Frame index in the video.
            bboxes (np.ndarray): (K, 4) xyxy.
            scores (np.ndarray): (K, ) presence scores.
            masks (np.ndarray): (K, H, W) bool.
        """
        from PIL import Image
        from pycocotools import mask as mask_utils
        masks = np.asarray(masks, dtype=bool)
        self.images.append(
            dict(id=int(index), file_name=f'{index:06d}.png',
                 width=self.width, height=self.height))
        label = np.zeros((self.height, self.width), np.uint8)
        for k, (box, score, m) in enumerate(zip(bboxes, scores, masks)):
            rle = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
            rle['counts'] = rle['counts'].decode('ascii')
            x1, y1, x2, y2 = (float(v) for v in box)
            self.annotations.append(
                dict(id=len(self.annotations) + 1, image_id=int(index),
                     category_id=1, object=k, track_id=k,
                     score=round(float(score), 4),
                     bbox=[round(v, 2) for v in (x1, y1, x2 - x1, y2 - y1)],
                     area=int(m.sum()), iscrowd=0, segmentation=rle))
            label[m] = k + 1
        img = Image.fromarray(label)  # 'L'; a palette makes it 'P'
        img.putpalette(self._palette)
        buf = io.BytesIO()
        img.save(buf, format='PNG')
        self._zip.writestr(f'{index:06d}.png', buf.getvalue())

    def close(self) -> List[str]:
        """Write the json and finish the zip; returns the paths written
        (none when no frame was added)."""
        self._zip.close()
        if not self.images:
            os.remove(self.zip_path)
            return []
        coco = dict(
            info=dict(description='mmtao browser demo masks',
                      video=self.video_name),
            images=self.images,
            annotations=self.annotations,
            categories=[dict(id=1, name='object')])
        tmp = self.json_path + '.part'
        with open(tmp, 'w') as f:
            json.dump(coco, f, separators=(',', ':'))
        os.replace(tmp, self.json_path)
        return [self.json_path, self.zip_path]
