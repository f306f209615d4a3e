# Copyright (c) mmtao contributors. All rights reserved.
from typing import Union

import mmcv
import numpy as np
from mmdet.datasets.transforms import LoadAnnotations
from mmdet.structures.mask import BitmapMasks
from mmengine.fileio import get

from mmtao.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadPairAnnotations(LoadAnnotations):
    """Load the box and mask of one frame of a tracking pair.

    mmdet's :class:`~mmdet.datasets.transforms.LoadAnnotations` with one
    more mask source: an instance ``mask`` given as the path of a PNG image
    (video datasets store one per frame; non-zero pixels are the object).
    Polygons and RLE (COCO pseudo-pairs) are decoded by mmdet as usual. Masks
    are always :class:`~mmdet.structures.mask.BitmapMasks`, and are loaded
    only when every instance of the frame has one, so frames of box-only
    datasets (ImageNet VID) go through the same pipeline without masks.

    Required keys: ``instances`` (see :class:`SOTPairSampling`),
    ``ori_shape`` (from ``LoadImageFromFile``).

    Added keys: ``gt_bboxes`` (HorizontalBoxes), ``gt_bboxes_labels``,
    ``gt_ignore_flags``, ``gt_masks`` (when masks exist).

    Args:
        mask_threshold (int): PNG pixels above this value are the object.
            Defaults to 127.
        **kwargs: Passed to mmdet's ``LoadAnnotations`` (``with_mask``
            defaults to True here).
    """

    def __init__(self,
                 with_mask: bool = True,
                 mask_threshold: int = 127,
                 **kwargs) -> None:
        kwargs.setdefault('poly2mask', True)
        if not kwargs['poly2mask']:
            raise ValueError('LoadPairAnnotations keeps masks as '
                             'BitmapMasks: poly2mask must be True')
        super().__init__(with_mask=with_mask, **kwargs)
        self.mask_threshold = mask_threshold

    def _read_mask_png(self, path: str, h: int, w: int) -> np.ndarray:
        try:
            img_bytes = get(path, backend_args=self.backend_args)
        except FileNotFoundError:
            raise FileNotFoundError(f'mask file not found: {path}') from None
        mask = mmcv.imfrombytes(
            img_bytes, flag='grayscale', backend=self.imdecode_backend)
        if mask is None:
            raise ValueError(f'mask file {path} could not be decoded as an '
                             'image')
        if mask.shape != (h, w):
            raise ValueError(
                f'mask file {path} has shape {mask.shape}, but its frame is '
                f'{(h, w)} (H, W)')
        return (mask > self.mask_threshold).astype(np.uint8)

    def _decode(self, mask: Union[str, list, dict], h: int,
                w: int) -> np.ndarray:
        if isinstance(mask, str):
            return self._read_mask_png(mask, h, w)
        return self._poly2mask(mask, h, w)

    def _load_masks(self, results: dict) -> None:
        """Decode every instance's mask into ``results['gt_masks']``."""
        instances = results.get('instances', [])
        if not instances or any('mask' not in inst for inst in instances):
            return
        h, w = results['ori_shape']
        str_masks = {
            k: inst['mask']
            for k, inst in enumerate(instances) if isinstance(inst['mask'], str)
        }
        # mmdet validates (and may flag as ignored) polygons and RLE; paths
        # are ours and are checked when they are read.
        for k in str_masks:
            instances[k]['mask'] = [np.zeros(6)]
        processed = self._process_masks(results)
        for k, path in str_masks.items():
            instances[k]['mask'] = path
            processed[k] = path
        results['gt_masks'] = BitmapMasks(
            [self._decode(m, h, w) for m in processed], h, w)
