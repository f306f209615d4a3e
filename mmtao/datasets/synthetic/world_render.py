# Copyright (c) mmtao contributors. All rights reserved.
"""Rendering a planned sequence frame by frame (with its object map)."""
from typing import Tuple

import cv2
import numpy as np

from .context_render import add_noise, paste, render_context
from .world_plan import TARGET_ID, _SequencePlan


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
        obj_map = np.zeros((H, W), np.uint8)
        ctx = plan.context
        if ctx is not None:
            # the target is a region of the background photo itself
            frame, on = render_context(ctx, t, (W, H))
            obj_map[on] = TARGET_ID
        else:
            background = plan.background if plan.bg_frames is None else \
                plan.bg_frames[t % len(plan.bg_frames)]
            frame = cv2.warpAffine(
                background,
                plan.camera[t], (W, H),
                flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_REFLECT)
        for obj in plan.objects:
            if ctx is not None and obj.obj_id == TARGET_ID:
                continue
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
            if ctx is not None and obj.z < 0:
                # behind an in-context target: its pixels stay on top
                on &= obj_map[y0:y1, x0:x1] != TARGET_ID
            if plan.blend is None:
                frame[y0:y1, x0:x1][on] = img[on]
            else:
                paste(frame[y0:y1, x0:x1], img, on, plan.blend)
            obj_map[y0:y1, x0:x1][on] = obj.obj_id
        lut = np.clip(
            np.arange(256, dtype=np.float64)[:, None] * plan.gain[t][None], 0,
            255).astype(np.uint8)
        frame = cv2.LUT(frame, lut.reshape(256, 1, 3))
        if t in plan.blur:
            frame = cv2.filter2D(frame, -1, plan.blur[t])
        if plan.noise > 0:
            frame = add_noise(frame, plan.noise,
                              np.random.default_rng([plan.noise_seed, t]))
        return frame, obj_map
