# Copyright (c) mmtao contributors. All rights reserved.
from typing import Optional, Sequence

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmtao.registry import TRANSFORMS


def motion_blur_kernel(length: int, angle: float) -> np.ndarray:
    """A normalised line kernel: the average along a straight motion.

    Args:
        length (int): Length of the motion in pixels (>= 1; 1 is identity).
        angle (float): Direction in degrees, counter-clockwise from +x.

    Returns:
        np.ndarray: (k, k) float32 kernel summing to 1, ``k = length`` made
        odd: ``length`` pixels of ``1 / length`` on the centre row, rotated
        by ``angle`` about the centre (bilinear) and normalised again.
    """
    if length < 1:
        raise ValueError(f'motion_blur_kernel: length must be >= 1, got '
                         f'{length}')
    length = int(length)
    size = length | 1  # odd, so the kernel has a centre pixel
    c = (size - 1) // 2
    kernel = np.zeros((size, size), np.float32)
    kernel[c, (size - length) // 2:(size - length) // 2 + length] = 1
    if angle % 180:
        rot = cv2.getRotationMatrix2D((c, c), angle, 1.0)
        kernel = cv2.warpAffine(kernel, rot, (size, size),
                                flags=cv2.INTER_LINEAR)
    return kernel / kernel.sum()


@TRANSFORMS.register_module()
class RandomMotionBlur(BaseTransform):
    """Blur the image along a random straight motion, as a hand-held or
    fast-moving camera does within one exposure.

    Real hand-held video is blurred whenever the camera or the object moves
    fast; the synthetic worlds blur only their jumps. Boxes and masks are
    left as they are (the object's extent is where it was drawn).

    Required keys: ``img``. Modified keys: ``img``.

    Args:
        prob (float): Probability of blurring a frame. Defaults to 0.3.
        length (Sequence[float]): (min, max) length of the motion as a
            fraction of the image's longer side, drawn uniformly. Defaults
            to (0.01, 0.05) (4-20 px at 416 px).
    """

    def __init__(self,
                 prob: float = 0.3,
                 length: Sequence[float] = (0.01, 0.05)) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'RandomMotionBlur: prob must be in [0, 1], '
                             f'got {prob}')
        if len(length) != 2 or not 0 < length[0] <= length[1] < 1:
            raise ValueError('RandomMotionBlur: length must be (min, max) '
                             f'with 0 < min <= max < 1, got {length}')
        self.prob = float(prob)
        self.length = (float(length[0]), float(length[1]))

    @cache_randomness
    def _draw(self) -> Optional[tuple]:
        """``(length fraction, angle)`` or None (no blur)."""
        if np.random.rand() >= self.prob:
            return None
        return (np.random.uniform(*self.length),
                np.random.uniform(0., 180.))

    def transform(self, results: dict) -> dict:
        draw = self._draw()
        if draw is None:
            return results
        img = results['img']
        length = max(1, round(draw[0] * max(img.shape[:2])))
        if length > 1:
            results['img'] = cv2.filter2D(
                img, -1, motion_blur_kernel(length, draw[1]),
                borderType=cv2.BORDER_REFLECT_101)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'length={self.length})')
