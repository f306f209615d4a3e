# Copyright (c) mmtao contributors. All rights reserved.
from typing import Optional, Sequence, Union

import numpy as np
import torch
from torch import Tensor

BoxesLike = Union[Tensor, np.ndarray, Sequence[Sequence[float]],
                  Sequence[float]]


def as_boxes(bboxes: BoxesLike,
             name: str = 'init bboxes',
             img_shape: Optional[Sequence[int]] = None) -> Tensor:
    """K boxes as a float32 Tensor (K, 4), K >= 1, or a one-line ValueError.

    Args:
        bboxes: (K, 4) or (4, ) numbers, xyxy.
        name (str): How the error names the input.
        img_shape (Sequence[int], optional): (h, w) of the frame; when
            given, a finite box whose centre lies outside it is refused
            (its template would be read outside the image).

    Returns:
        Tensor: (K, 4) float32 on the CPU (or the input's device).
    """
    device = bboxes.device if isinstance(bboxes, Tensor) else 'cpu'
    if isinstance(bboxes, Tensor):
        bboxes = bboxes.detach().cpu().numpy()
    try:
        arr = np.asarray(bboxes, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValueError(f'{name} must be K boxes of 4 numbers '
                         f'(x1, y1, x2, y2), got {bboxes!r}') from None
    if arr.ndim == 1 and arr.size == 4:
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != 4 or arr.shape[0] == 0:
        raise ValueError(
            f'{name} must be K >= 1 boxes of 4 numbers (x1, y1, x2, y2), '
            f'got an array of shape {arr.shape}')
    if img_shape is not None:
        h, w = img_shape[:2]
        for box in arr[np.isfinite(arr).all(1)].tolist():
            cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
            if not (0 <= cx < w and 0 <= cy < h):
                raise ValueError(
                    f'{name}: box {box} has its centre ({cx:g}, {cy:g}) '
                    f'outside the image of size (h={h}, w={w}); expected a '
                    'box around an object inside the image')
    return torch.from_numpy(arr).to(device)
