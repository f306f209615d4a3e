# Copyright (c) mmtao contributors. All rights reserved.
"""Geometry of search windows: the part of a window inside the frame and
the input it becomes, and window masks pasted back into the frame."""
import math
from typing import Sequence, Tuple

from torch import Tensor


def fit_window(rect: Sequence[float], zoom: float, frame_shape: Sequence[int],
               input_size: Sequence[int], size_divisor: int
               ) -> Tuple[Tuple[float, float, float, float], float, int, int]:
    """The part of a window inside the frame and the input it becomes.

    Args:
        rect (Sequence[float]): The window (x1, y1, x2, y2), frame pixels.
        zoom (float): The wanted input pixels per frame pixel.
        frame_shape (Sequence[int]): (H, W) of the frame.
        input_size (Sequence[int]): (w, h) of the largest input.
        size_divisor (int): The input's sides are multiples of it.

    Returns:
        tuple: ``((x1, y1, x2, y2), z, w_in, h_in)``: the window clipped to
        the frame, the zoom lowered where that part would not fit
        ``input_size``, and the input size (that part at ``z``, sides
        rounded up to ``size_divisor``, at most ``input_size``).
    """
    h, w = frame_shape[:2]
    in_w, in_h = input_size
    x1, y1 = max(rect[0], 0.), max(rect[1], 0.)
    x2, y2 = min(rect[2], float(w)), min(rect[3], float(h))
    span_w, span_h = max(x2 - x1, 1.), max(y2 - y1, 1.)
    z = min(zoom, in_w / span_w, in_h / span_h)
    d = size_divisor
    w_in = min(int(math.ceil(span_w * z / d - 1e-6)) * d, in_w)
    h_in = min(int(math.ceil(span_h * z / d - 1e-6)) * d, in_h)
    return (x1, y1, x2, y2), z, w_in, h_in


def paste(masks: Tensor, ox: float, oy: float, h: int, w: int) -> Tensor:
    """Masks (n, hc, wc) of a window at ``(ox, oy)`` -> (n, h, w) masks of
    the frame (outside the window: off)."""
    x0, y0 = int(round(ox)), int(round(oy))
    n, hc, wc = masks.shape
    out = masks.new_zeros(n, h, w)
    xa, xb = max(x0, 0), min(x0 + wc, w)
    ya, yb = max(y0, 0), min(y0 + hc, h)
    if xb > xa and yb > ya:
        out[:, ya:yb, xa:xb] = masks[:, ya - y0:yb - y0, xa - x0:xb - x0]
    return out
