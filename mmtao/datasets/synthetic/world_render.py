# Copyright (c) mmtao contributors. All rights reserved.
"""Rendering a planned sequence frame by frame (with its object map)."""
from typing import Tuple

import cv2
import numpy as np

from .world_plan import _SequencePlan


class FrameRenderer:
    """Renders frames of a :class:`_SequencePlan` (a mixin of
    :class:`~.world_generator.SyntheticWorldGenerator`: uses ``img_size``).
    """


    def render_frame(self, plan: _SequencePlan,
                     t: int) -> Tuple[np.ndarray, np.ndarray]:
        """Render frame ``t``.

        Returns:
            tuple[np.ndarray, np.ndarray]: The BGR frame (H, W, 3) uint8 and
            the object map (H, W) uint8 (0 = background, else ``obj_id`` of
            the nearest object covering the pixel).
        """
        W, H = self.img_size
        background = plan.background if plan.bg_frames is None else \
            plan.bg_frames[t % len(plan.bg_frames)]
        frame = cv2.warpAffine(
            background,
            plan.camera[t], (W, H),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REFLECT)
        obj_map = np.zeros((H, W), np.uint8)
        for obj in plan.objects:
            mat = obj.matrix(t)
            h, w = obj.sprite.img.shape[:2]
            corners = mat @ np.array(
                [[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64).T
            x0 = max(0, int(np.floor(corners[0].min())))
            y0 = max(0, int(np.floor(corners[1].min())))
            x1 = min(W, int(np.ceil(corners[0].max())))
            y1 = min(H, int(np.ceil(corners[1].max())))
            if x1 <= x0 or y1 <= y0:
                continue
            mat[:, 2] -= (x0, y0)
            size = (x1 - x0, y1 - y0)
            img = cv2.warpAffine(
                obj.sprite.img, mat, size, flags=cv2.INTER_LINEAR)
            on = cv2.warpAffine(
                obj.sprite.mask, mat, size, flags=cv2.INTER_LINEAR) >= 128
            frame[y0:y1, x0:x1][on] = img[on]
            obj_map[y0:y1, x0:x1][on] = obj.obj_id
        lut = np.clip(
            np.arange(256, dtype=np.float64)[:, None] * plan.gain[t][None], 0,
            255).astype(np.uint8)
        frame = cv2.LUT(frame, lut.reshape(256, 1, 3))
        if t in plan.blur:
            frame = cv2.filter2D(frame, -1, plan.blur[t])
        return frame, obj_map
