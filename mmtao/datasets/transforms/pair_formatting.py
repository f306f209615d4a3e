# Copyright (c) mmtao contributors. All rights reserved.
from typing import Optional, Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import get_box_tensor
from mmengine.structures import InstanceData

from mmtao.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackSOTPairInputs(BaseTransform):
    """Pack a transformed tracking pair into the model's training input.

    Follows the data contract (``docs/en/data_contract.md`` §4):

    - ``inputs``: ``Tensor[2, 3, H, W]`` uint8, template then search frame,
      zero-padded (bottom / right) to a common size when they differ
      (float images, e.g. after ``PhotoMetricDistortion``, are rounded and
      clipped to [0, 255]).
    - ``data_samples``: :obj:`DetDataSample` of the search frame with
      ``gt_instances`` = ``bboxes`` ``Tensor[1, 4]`` xyxy, ``labels``
      ``LongTensor[1]`` zeros and, when the pair has masks, ``masks``
      (``BitmapMasks`` 1×H×W); metainfo ``template_bbox``
      (``np.ndarray[4]`` float32 xyxy, template input coordinates),
      ``with_mask``, ``img_shape`` (the search frame's real extent),
      ``template_img_shape`` (the template frame's), ``pad_shape``,
      ``ori_shape``, ``scale_factor``, ``img_path``, ``template_img_path``
      and the ``meta_keys`` found in the search frame.

    The frames must not go through ``Pad``: it overwrites ``img_shape`` with
    the padded size, and the model would then take template negatives and
    search proposals from padding, which no test frame has. This transform
    and the data preprocessor pad instead, keeping ``img_shape`` real.

    Required keys: ``frames`` (2 transformed frames with ``img``,
    ``gt_bboxes``, optional ``gt_masks`` and ``gt_ignore_flags``),
    ``with_mask``.

    Args:
        meta_keys (Sequence[str]): Search-frame keys copied into metainfo
            when present. Defaults to ``('img_id', 'flip', 'flip_direction',
            'frame_id', 'video_id')``.
        min_size (float): A frame whose object box became narrower or lower
            than this (e.g. cropped to a sliver) makes the pair unusable: the
            transform returns None and the dataset draws another sample.
            Defaults to 2.
    """

    def __init__(self,
                 meta_keys: Sequence[str] = ('img_id', 'flip',
                                             'flip_direction', 'frame_id',
                                             'video_id'),
                 min_size: float = 2.) -> None:
        self.meta_keys = tuple(meta_keys)
        self.min_size = min_size

    @staticmethod
    def _object(frame: dict, name: str):
        """The frame's single non-ignored box (Tensor[1, 4]) and its index."""
        if 'img' not in frame or 'gt_bboxes' not in frame:
            raise KeyError(
                f'PackSOTPairInputs: the {name} frame has no img / gt_bboxes '
                '(were LoadImageFromFile and LoadPairAnnotations in '
                f'PairTransforms?); it has keys {sorted(frame)}')
        boxes = get_box_tensor(frame['gt_bboxes']).reshape(-1, 4).float()
        keep = np.ones(len(boxes), dtype=bool)
        if frame.get('gt_ignore_flags') is not None:
            keep &= ~np.asarray(frame['gt_ignore_flags'], dtype=bool)
        idx = np.flatnonzero(keep)
        if len(idx) != 1:
            raise ValueError(
                f'PackSOTPairInputs: the {name} frame ({frame.get("img_path")})'
                f' must hold exactly one object box, it holds {len(idx)}')
        return boxes[idx], int(idx[0])

    @staticmethod
    def _to_chw(img: np.ndarray) -> torch.Tensor:
        if img.ndim == 2:
            img = img[..., None]
        if img.dtype != np.uint8:
            # PhotoMetricDistortion leaves float32; the contract is uint8
            img = np.clip(np.rint(img), 0, 255).astype(np.uint8)
        return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))

    def transform(self, results: dict) -> Optional[dict]:
        """Pack.

        Args:
            results (dict): From :class:`PairTransforms`.

        Returns:
            dict | None: ``dict(inputs=Tensor[2, 3, H, W],
            data_samples=DetDataSample)``, or None when an object box is
            smaller than ``min_size`` after augmentation.
        """
        frames = results.get('frames')
        if not isinstance(frames, (list, tuple)) or len(frames) != 2:
            raise KeyError('PackSOTPairInputs expects results["frames"] = '
                           '[template, search]')
        template, search = frames
        for frame, name in ((template, 'template'), (search, 'search')):
            if 'pad_fixed_size' in frame or 'pad_size_divisor' in frame:
                raise ValueError(
                    f'PackSOTPairInputs: the {name} frame went through Pad, '
                    'which overwrote img_shape with the padded size (template '
                    'negatives and proposals would come from padding); remove '
                    'Pad from the PairTransforms pipeline: PackSOTPairInputs '
                    'and the data preprocessor pad the pair')
        t_box, _ = self._object(template, 'template')
        s_box, s_idx = self._object(search, 'search')
        for box in (t_box, s_box):
            wh = box[0, 2:] - box[0, :2]
            if (wh < self.min_size).any():
                return None

        imgs = [self._to_chw(f['img']) for f in frames]
        if imgs[0].shape[0] != imgs[1].shape[0]:
            raise ValueError('PackSOTPairInputs: template and search have '
                             f'{imgs[0].shape[0]} and {imgs[1].shape[0]} '
                             'channels')
        h = max(i.shape[1] for i in imgs)
        w = max(i.shape[2] for i in imgs)
        inputs = imgs[0].new_zeros((2, imgs[0].shape[0], h, w))
        for k, img in enumerate(imgs):
            inputs[k, :, :img.shape[1], :img.shape[2]] = img

        gt_instances = InstanceData()
        gt_instances.bboxes = s_box
        gt_instances.labels = torch.zeros(1, dtype=torch.long)
        with_mask = bool(results.get('with_mask', False))
        if with_mask:
            if search.get('gt_masks') is None:
                raise KeyError(
                    'PackSOTPairInputs: with_mask is True but the search '
                    f'frame ({search.get("img_path")}) has no gt_masks')
            gt_instances.masks = search['gt_masks'][[s_idx]]

        data_sample = DetDataSample()
        data_sample.gt_instances = gt_instances
        metainfo = dict(
            template_bbox=t_box[0].numpy().astype(np.float32),
            with_mask=with_mask,
            img_shape=search['img_shape'],
            pad_shape=(h, w),
            ori_shape=search['ori_shape'],
            scale_factor=search.get('scale_factor', (1., 1.)),
            img_path=search.get('img_path'),
            template_img_path=template.get('img_path'),
            template_img_shape=template['img_shape'])
        for key in self.meta_keys:
            if key in search:
                metainfo[key] = search[key]
            elif key in results:
                metainfo[key] = results[key]
        data_sample.set_metainfo(metainfo)
        return dict(inputs=inputs, data_samples=data_sample)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(meta_keys={self.meta_keys}, '
                f'min_size={self.min_size})')
