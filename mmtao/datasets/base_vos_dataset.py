# Copyright (c) mmtao contributors. All rights reserved.
import os.path as osp
from typing import List, Optional

import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils

from .base_sot_dataset import BaseSOTDataset


def read_palette_png(path: str) -> np.ndarray:
    """Read an indexed (palette) PNG of object ids, as DAVIS and YouTube-VOS
    store them.

    Returns:
        np.ndarray: uint8 of shape (H, W), the object id of every pixel.

    Raises:
        ValueError: The PNG is not single-channel (an RGB rendering of the
            palette would give colours, not ids).
    """
    try:
        with Image.open(path) as img:
            if img.mode not in ('P', 'L'):
                raise ValueError(
                    f'{path}: expected an indexed (palette) PNG of object '
                    f'ids, got mode {img.mode!r}')
            return np.array(img)
    except FileNotFoundError:
        raise FileNotFoundError(f'missing annotation {path}') from None


class BaseVOSDataset(BaseSOTDataset):
    """Video object segmentation sets as SOT datasets: one sequence per
    (video, object).

    Records from :meth:`load_data_list` carry ``frame_names`` (JPEG names),
    ``ann_dir`` and ``ann_names`` (the PNG of each frame, None where the
    frame has no annotation) and ``obj_id`` (the object's palette index).
    The first time a sequence is read its PNGs are decoded once: the box of
    a frame is the tight box of the object's pixels (``x2`` one past the last
    column, as in the data contract), ``visible`` means the object has
    pixels, and ``mask_paths`` holds one COCO RLE dict per annotated frame
    (None elsewhere), which mmdet's / mmtao's ``LoadAnnotations`` decode.
    Frames without annotation or without the object get NaN boxes.
    """

    def load_video_annotations(self, record: dict) -> dict:
        n = record['video_length']
        bboxes = np.full((n, 4), np.nan, np.float32)
        visible = np.zeros(n, dtype=bool)
        masks: List[Optional[dict]] = [None] * n
        for i, name in enumerate(record['ann_names']):
            if name is None:
                continue
            path = osp.join(record['ann_dir'], name)
            on = read_palette_png(path) == record['obj_id']
            rle = mask_utils.encode(np.asfortranarray(on.astype(np.uint8)))
            rle['counts'] = rle['counts'].decode('ascii')
            masks[i] = rle
            if on.any():
                ys, xs = np.nonzero(on)
                bboxes[i] = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
                visible[i] = True
        return dict(bboxes=bboxes, visible=visible, mask_paths=masks)
