# Copyright (c) mmtao contributors. All rights reserved.
from typing import Sequence

import numpy as np
import torch
from mmdet.datasets.transforms import PackDetInputs
from mmdet.structures.bbox import BaseBoxes
from mmengine.structures import InstanceData

from mmtao.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackSOTInputs(PackDetInputs):
    """Pack one test frame of a SOT dataset (data contract §1).

    Runs after ``LoadImageFromFile`` and ``Resize(keep_ratio=True)`` on the
    test-mode item of :class:`~mmtao.datasets.BaseSOTDataset`. On top of
    mmdet's :class:`PackDetInputs` it

    - keeps the tracking meta keys (``frame_id``, ``video_id``,
      ``video_length``, ``seq_name``, ``gt_bbox_ori``, ``visible``, and
      ``mask_path``: the ground-truth mask as a 0/255 PNG path or a COCO
      RLE dict (VOS datasets), None without mask, for mask metrics), and
      for sparsely labelled benchmarks (OxUvA) ``annotated`` (the frame has
      a label, present or absent) and ``frame_num`` (the absolute frame
      number the benchmark's result files are keyed by);
    - always gives ``gt_instances`` exactly one box in input (resized)
      coordinates, ``bboxes: Tensor[1, 4]`` xyxy and ``labels:
      LongTensor[1]`` zeros. The box is ``gt_bboxes`` when an earlier
      transform (``LoadAnnotations``, then ``Resize``) made one, else
      ``gt_bbox_ori`` scaled by ``scale_factor`` (``(w_scale, h_scale)``,
      1 when there was no resize). It is all-NaN when the frame has no box.

    Required keys: ``img``, ``img_shape``, ``ori_shape``, ``gt_bbox_ori``
    (np.ndarray[4]), ``frame_id``, ``video_id``.

    Args:
        meta_keys (Sequence[str]): Keys copied into the sample's metainfo
            (missing ones are skipped, as in ``PackDetInputs``).
    """

    def __init__(
        self,
        meta_keys: Sequence[str] = ('img_id', 'img_path', 'ori_shape',
                                    'img_shape', 'scale_factor', 'flip',
                                    'flip_direction', 'frame_id', 'video_id',
                                    'video_length', 'seq_name', 'gt_bbox_ori',
                                    'visible', 'mask_path', 'annotated',
                                    'frame_num', 'gt_bbox_xywh', 'ann_png',
                                    'video_num_objects', 'cover_visible')
    ) -> None:
        super().__init__(meta_keys=meta_keys)

    def transform(self, results: dict) -> dict:
        """Pack ``results`` into ``dict(inputs=Tensor[3, H, W] uint8,
        data_samples=DetDataSample)``."""
        for key in ('img', 'gt_bbox_ori', 'frame_id', 'video_id'):
            if key not in results:
                raise KeyError(
                    f'PackSOTInputs needs {key!r} in the results (it has '
                    f'{sorted(results)}); use the test-mode item of a '
                    'BaseSOTDataset after LoadImageFromFile')
        box_ori = np.asarray(results['gt_bbox_ori'], dtype=np.float32)
        if box_ori.shape != (4, ):
            raise ValueError('PackSOTInputs: gt_bbox_ori must have shape '
                             f'(4, ) (xyxy), got {box_ori.shape}')
        results['gt_bbox_ori'] = box_ori
        packed = super().transform(results)
        bboxes = results.get('gt_bboxes')
        if isinstance(bboxes, BaseBoxes):
            bboxes = bboxes.tensor
        if bboxes is not None and len(bboxes) == 1:
            bboxes = torch.as_tensor(bboxes, dtype=torch.float32).reshape(1, 4)
        else:
            w_scale, h_scale = results.get('scale_factor', (1., 1.))
            scale = np.array([w_scale, h_scale, w_scale, h_scale], np.float32)
            bboxes = torch.from_numpy(box_ori * scale).reshape(1, 4)
        packed['data_samples'].gt_instances = InstanceData(
            bboxes=bboxes, labels=torch.zeros(1, dtype=torch.long))
        return packed
