# Copyright (c) mmtao contributors. All rights reserved.
"""Pair sampling for tracking training (Sec. 3.5 of the paper).

A tracking training sample is a *pair*: a template frame with the object's
box and a search frame with the same object's (class-agnostic) box and mask
where known. :class:`SOTPairSampling` draws both frames from one video (the
train-mode item of a SOT / video dataset); :class:`ImagePairSampling` makes a
pseudo-pair from one detection image (COCO) by picking one object: the two
frames are the same picture and only the independent augmentations of
:class:`PairTransforms` make them differ.

Both write the pair in the same form, which the rest of the pair pipeline
(:class:`PairTransforms` → :class:`PackSOTPairInputs`) reads::

    results['frames'] = [template, search]   # two mmdet-style data infos
    template = dict(img_path=str, frame_id=int,
                    instances=[dict(bbox=[x1, y1, x2, y2], bbox_label=0,
                                    ignore_flag=0, mask=...)])
    results['with_mask'] = bool

``mask`` is a path to a 0/255 PNG (video datasets), COCO polygons or RLE
(images), and is left out when the source has no masks (ImageNet VID).
"""
import copy
from typing import List, Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmtao.registry import TRANSFORMS


def _video_field(results: dict, names: Sequence[str], what: str):
    """The first present key of ``names`` in a video-level item."""
    for name in names:
        if name in results and results[name] is not None:
            return results[name]
    raise KeyError(
        f'{what}: the video item has none of the keys {list(names)} '
        f'(it has {sorted(results)}). SOTPairSampling expects the train-mode '
        'item of a BaseSOTDataset (one whole video).')


@TRANSFORMS.register_module()
class SOTPairSampling(BaseTransform):
    """Sample a template frame and a search frame from one video.

    The template is drawn uniformly among the frames where the object is
    visible; the search frame uniformly among the other visible frames at
    most ``frame_range`` frames away, or anywhere in the video when
    ``frame_range`` is None (the template frame itself is used only when it
    is the sole candidate). The paper draws both "at random from the video"
    (Sec. 3.5, footnote 1): ``frame_range=None``; a finite ``frame_range``
    bounds the appearance change.

    Required keys (the train-mode item of ``BaseSOTDataset``, one video):

    - img_paths (list[str]): N frame paths (``filename`` also accepted).
    - bboxes (np.ndarray): (N, 4) xyxy boxes in original image coordinates.
    - visible (np.ndarray, optional): (N, ) bool, object present.
    - bboxes_isvalid (np.ndarray, optional): (N, ) bool, box usable.
    - mask_paths (list[str | None], optional): N mask PNG paths.
    - frame_ids (np.ndarray, optional), video_id (int, optional).

    Added keys: ``frames`` (list of 2 data infos, see module docstring),
    ``with_mask`` (bool), ``video_id``.

    Args:
        frame_range (int, optional): Largest frame distance between template
            and search; None for any two frames of the video. Defaults to
            100.
        min_size (float): Frames whose box is narrower or lower than this are
            not sampled. Defaults to 2.
        with_mask (bool): Use the masks when the video has them. Defaults to
            True.
    """

    def __init__(self,
                 frame_range: Optional[int] = 100,
                 min_size: float = 2.,
                 with_mask: bool = True) -> None:
        if frame_range is not None and (not isinstance(frame_range, int)
                                        or isinstance(frame_range, bool)
                                        or frame_range < 0):
            raise ValueError('frame_range must be a non-negative int or None '
                             f'(whole video), got {frame_range!r}')
        self.frame_range = frame_range
        self.min_size = min_size
        self.with_mask = with_mask

    def _valid_frames(self, results: dict, bboxes: np.ndarray) -> np.ndarray:
        """Indices of frames with a visible object and a usable box."""
        n = len(bboxes)
        valid = np.ones(n, dtype=bool)
        for key in ('visible', 'bboxes_isvalid'):
            if results.get(key) is not None:
                flags = np.asarray(results[key], dtype=bool).reshape(-1)
                if len(flags) != n:
                    raise ValueError(
                        f'SOTPairSampling: {key} has {len(flags)} entries '
                        f'but the video has {n} boxes')
                valid &= flags
        with np.errstate(invalid='ignore'):
            valid &= np.isfinite(bboxes).all(1)
            valid &= (bboxes[:, 2] - bboxes[:, 0] >= self.min_size) & (
                bboxes[:, 3] - bboxes[:, 1] >= self.min_size)
        return np.flatnonzero(valid)

    @cache_randomness
    def _sample_pair(self, valid: np.ndarray) -> List[int]:
        template = int(np.random.choice(valid))
        near = valid if self.frame_range is None else valid[
            np.abs(valid - template) <= self.frame_range]
        others = near[near != template]
        search = int(np.random.choice(others)) if len(others) else template
        return [template, search]

    def transform(self, results: dict) -> Optional[dict]:
        """Sample the pair.

        Args:
            results (dict): One video (see class docstring).

        Returns:
            dict | None: ``results`` with ``frames``; None (the dataset then
            draws another video) when no frame of the video shows the object.
        """
        img_paths = _video_field(results, ('img_paths', 'filename'),
                                 'SOTPairSampling')
        bboxes = np.asarray(
            _video_field(results, ('bboxes', 'gt_bboxes'), 'SOTPairSampling'),
            dtype=np.float32)
        if bboxes.ndim != 2 or bboxes.shape[1] != 4:
            raise ValueError('SOTPairSampling: bboxes must have shape (N, 4) '
                             f'(xyxy), got {bboxes.shape}')
        if len(img_paths) != len(bboxes):
            raise ValueError(
                f'SOTPairSampling: {len(img_paths)} frame paths but '
                f'{len(bboxes)} boxes in video {results.get("video_id")}')
        mask_paths = results.get('mask_paths') if self.with_mask else None
        if mask_paths is not None and len(mask_paths) != len(bboxes):
            raise ValueError(
                f'SOTPairSampling: {len(mask_paths)} mask paths but '
                f'{len(bboxes)} boxes in video {results.get("video_id")}')

        valid = self._valid_frames(results, bboxes)
        if len(valid) == 0:
            return None
        frame_ids = results.get('frame_ids')
        with_mask = mask_paths is not None and all(
            mask_paths[i] is not None for i in valid)
        frames = []
        for i in self._sample_pair(valid):
            instance = dict(
                bbox=bboxes[i].tolist(), bbox_label=0, ignore_flag=0)
            if with_mask:
                instance['mask'] = mask_paths[i]
            frames.append(
                dict(
                    img_path=img_paths[i],
                    frame_id=int(frame_ids[i])
                    if frame_ids is not None else i,
                    instances=[instance]))
        results['frames'] = frames
        results['with_mask'] = with_mask
        results.setdefault('video_id', -1)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(frame_range={self.frame_range}, '
                f'min_size={self.min_size}, with_mask={self.with_mask})')


@TRANSFORMS.register_module()
class ImagePairSampling(BaseTransform):
    """Make a tracking pseudo-pair from one detection image (COCO).

    One non-ignored object is chosen at random (uniformly among those at
    least ``min_size`` pixels wide and high); template and search are the
    same image with that object alone, class-agnostic (label 0). The
    differences between the two frames come from the independent
    augmentations applied afterwards by :class:`PairTransforms`.

    Required keys: ``img_path`` and ``instances`` as produced by mmdet's
    ``CocoDataset`` (``bbox`` xyxy, ``ignore_flag``, optional ``mask``).

    Added keys: ``frames``, ``with_mask``, ``video_id`` (-1).

    Args:
        min_size (float): Smallest width and height of a chosen object.
            Defaults to 8.
        with_mask (bool): Keep the object's mask (polygons or RLE).
            Defaults to True.
    """

    def __init__(self, min_size: float = 8., with_mask: bool = True) -> None:
        self.min_size = min_size
        self.with_mask = with_mask

    @cache_randomness
    def _choose(self, candidates: List[int]) -> int:
        return int(np.random.choice(candidates))

    def transform(self, results: dict) -> Optional[dict]:
        """Pick the object.

        Args:
            results (dict): One detection image.

        Returns:
            dict | None: ``results`` with ``frames``; None when the image has
            no usable object (the dataset then draws another image).
        """
        if 'img_path' not in results or 'instances' not in results:
            raise KeyError('ImagePairSampling expects a detection data info '
                           "with 'img_path' and 'instances' (mmdet "
                           f'CocoDataset), got keys {sorted(results)}')
        candidates = []
        for k, inst in enumerate(results['instances']):
            x1, y1, x2, y2 = inst['bbox']
            if inst.get('ignore_flag', 0) or x2 - x1 < self.min_size \
                    or y2 - y1 < self.min_size:
                continue
            if self.with_mask and not inst.get('mask'):
                continue
            candidates.append(k)
        if not candidates:
            return None
        chosen = results['instances'][self._choose(candidates)]
        instance = dict(
            bbox=list(map(float, chosen['bbox'])), bbox_label=0, ignore_flag=0)
        if self.with_mask:
            instance['mask'] = copy.deepcopy(chosen['mask'])
        results['frames'] = [
            dict(
                img_path=results['img_path'],
                frame_id=0,
                instances=[copy.deepcopy(instance)]) for _ in range(2)
        ]
        results['with_mask'] = self.with_mask
        results.setdefault('video_id', -1)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(min_size={self.min_size}, '
                f'with_mask={self.with_mask})')
