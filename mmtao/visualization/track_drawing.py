# Copyright (c) mmtao contributors. All rights reserved.
"""Draw tracked objects (box, mask, id and score) on a BGR frame.

OpenCV drawing rather than mmdet's ``DetLocalVisualizer``: the latter renders
through matplotlib at ~120 ms per 320x240 frame on the project machines,
longer than a track step of the CPU model, and the demo must keep up with the
model.
"""
from typing import List, Optional

import cv2
import numpy as np

from .palette import object_colors


def track_colors(num_objects: int) -> List[tuple]:
    """One BGR colour per object id (:func:`object_colors`, reversed)."""
    return [rgb[::-1] for rgb in object_colors(max(num_objects, 1))]


def draw_tracks(frame: np.ndarray,
                bboxes: np.ndarray,
                scores: np.ndarray,
                masks: Optional[np.ndarray] = None,
                alpha: float = 0.5,
                line_width: int = 2) -> np.ndarray:
    """Draw K tracked objects on a copy of ``frame``.

    Args:
        frame (np.ndarray): BGR uint8 image, shape (H, W, 3).
        bboxes (np.ndarray): (K, 4) xyxy boxes in image coordinates.
        scores (np.ndarray): (K, ) presence scores, written next to the id.
        masks (np.ndarray, optional): (K, H, W) bool masks, blended with
            ``alpha``.
        alpha (float): Mask opacity. Defaults to 0.5.
        line_width (int): Box line width in pixels. Defaults to 2.

    Returns:
        np.ndarray: The drawn BGR uint8 image, shape (H, W, 3).
    """
    out = frame.copy()
    colors = track_colors(len(bboxes))
    if masks is not None:
        for mask, color in zip(masks, colors):
            mask = np.asarray(mask, dtype=bool)
            if mask.any():
                out[mask] = (out[mask] * (1 - alpha) +
                             np.asarray(color) * alpha).astype(np.uint8)
    for k, (box, score, color) in enumerate(zip(bboxes, scores, colors)):
        x1, y1, x2, y2 = (int(round(float(v))) for v in box)
        cv2.rectangle(out, (x1, y1), (x2, y2), color, line_width)
        label = f'{k}: {float(score):.2f}'
        (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX,
                                         0.4, 1)
        ty = max(y1, th + base)
        cv2.rectangle(out, (x1, ty - th - base), (x1 + tw, ty), color, -1)
        cv2.putText(out, label, (x1, ty - base), cv2.FONT_HERSHEY_SIMPLEX,
                    0.4, (255, 255, 255), 1, cv2.LINE_AA)
    return out
