# Copyright (c) mmtao contributors. All rights reserved.
import copy
from contextlib import ExitStack
from typing import Iterator, List, Optional, Sequence, Union

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
    change between two video frames, except for the transforms named in
    ``shared_transforms``: those draw once per pair and apply the same
    parameters to both frames (mmcv's ``cache_random_params``). By default
    that is ``RandomFlip``: a tracked object is never mirrored between two
    frames at test time, so a pair is either flipped as a whole or not at
    all. ``share_random_params=True`` shares every transform's parameters.

    Required keys: ``frames`` (list of 2 data infos).

    Modified keys: ``frames`` (each now holds ``img``, ``gt_bboxes``, ...).

    Args:
        transforms (list[dict | callable]): The per-frame pipeline, e.g.
            ``LoadImageFromFile``, ``LoadPairAnnotations``, augmentations.
        share_random_params (bool): Same random parameters for both frames
            in every transform. Defaults to False.
        shared_transforms (Sequence[str]): Class names of the transforms
            whose random parameters are drawn once per pair and shared by
            both frames (also inside nested ``Compose`` / ``RandomChoice``).
            Defaults to ``('RandomFlip', )``.
    """

    def __init__(self,
                 transforms: List[Union[dict, callable]],
                 share_random_params: bool = False,
                 shared_transforms: Sequence[str] = ('RandomFlip', )) -> None:
        if not isinstance(transforms, (list, tuple)) or not transforms:
            raise TypeError('PairTransforms: transforms must be a non-empty '
                            f'list of transform configs, got {transforms!r}')
        if isinstance(shared_transforms, str) or not all(
                isinstance(n, str) for n in shared_transforms):
            raise TypeError('PairTransforms: shared_transforms must be a '
                            'sequence of transform class names, got '
                            f'{shared_transforms!r}')
        self.transforms = Compose(list(transforms))
        self.share_random_params = share_random_params
        self.shared_transforms = tuple(shared_transforms)

    def _shared(self) -> Iterator:
        """The wrapped transforms (nested ones too) whose random parameters
        both frames share."""
        stack = [self.transforms]
        while stack:
            t = stack.pop()
            if type(t).__name__ in self.shared_transforms:
                yield t
            stack.extend(getattr(t, 'transforms', None) or [])

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
        shared = [self.transforms] if self.share_random_params else list(
            self._shared())
        outputs = []
        with ExitStack() as stack:
            # cached on the first frame's draw, dropped on exit: one draw per
            # pair
            for t in shared:
                stack.enter_context(cache_random_params(t))
            for frame in frames:
                out = self.transforms(copy.deepcopy(frame))
                if out is None:
                    return None
                outputs.append(out)
        results['frames'] = outputs
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(transforms={self.transforms}, '
                f'share_random_params={self.share_random_params}, '
                f'shared_transforms={self.shared_transforms})')
