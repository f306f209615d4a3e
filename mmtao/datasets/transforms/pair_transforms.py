# Copyright (c) mmtao contributors. All rights reserved.
import copy
from contextlib import nullcontext
from typing import List, Optional, Union

from mmcv.transforms import BaseTransform, Compose
from mmcv.transforms.utils import cache_random_params

from mmtao.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PairTransforms(BaseTransform):
    """Run one per-frame pipeline on both frames of a tracking pair.

    Each frame of ``results['frames']`` (template, search) goes through the
    wrapped transforms as an ordinary mmdet data info, so mmdet's own
    transforms do the joint augmentation and keep image, box and mask
    aligned: ``RandomResize`` (scale jitter), ``RandomCrop`` (shift
    jitter), ``RandomFlip``, ``PhotoMetricDistortion`` (colour), ``Pad``.
    By default the two frames draw their random parameters independently,
    which is what turns one COCO image into a pseudo-pair and adds appearance
    change between two video frames; ``share_random_params=True`` applies
    identical parameters to both (mmcv's ``cache_random_params``).

    Required keys: ``frames`` (list of 2 data infos).

    Modified keys: ``frames`` (each now holds ``img``, ``gt_bboxes``, ...).

    Args:
        transforms (list[dict | callable]): The per-frame pipeline, e.g.
            ``LoadImageFromFile``, ``LoadPairAnnotations``, augmentations.
        share_random_params (bool): Same random parameters for both frames.
            Defaults to False.
    """

    def __init__(self,
                 transforms: List[Union[dict, callable]],
                 share_random_params: bool = False) -> None:
        if not isinstance(transforms, (list, tuple)) or not transforms:
            raise TypeError('PairTransforms: transforms must be a non-empty '
                            f'list of transform configs, got {transforms!r}')
        self.transforms = Compose(list(transforms))
        self.share_random_params = share_random_params

    def transform(self, results: dict) -> Optional[dict]:
        """Transform both frames.

        Args:
            results (dict): With ``frames``, from a pair sampler.

        Returns:
            dict | None: ``results`` with transformed frames, or None (the
            dataset then draws another sample) when a transform rejects a
            frame, e.g. ``RandomCrop`` cut the object out.
        """
        frames = results.get('frames')
        if not isinstance(frames, (list, tuple)) or len(frames) != 2:
            raise KeyError(
                'PairTransforms expects results["frames"] = [template, '
                'search] from SOTPairSampling / ImagePairSampling, got '
                f'{type(frames).__name__ if frames is not None else "none"}')
        ctx = cache_random_params(self.transforms) \
            if self.share_random_params else nullcontext()
        outputs = []
        with ctx:
            for frame in frames:
                out = self.transforms(copy.deepcopy(frame))
                if out is None:
                    return None
                outputs.append(out)
        results['frames'] = outputs
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(transforms={self.transforms}, '
                f'share_random_params={self.share_random_params})')
