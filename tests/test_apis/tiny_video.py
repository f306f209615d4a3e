# Copyright (c) mmtao contributors. All rights reserved.
"""The tiny tracker and synthetic frames the video-loop tests share."""
import os.path as osp

import numpy as np
import torch

from mmtao.apis import SOTInferencer, init_tracker

# from this file's own path: in a whole-suite run 'conftest' is ambiguous
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY_TAO = osp.join(REPO_ROOT, 'tests/data/configs/tiny_tao_got10k.py')


def tiny_inferencer() -> SOTInferencer:
    """The tiny tracker of ``TINY_TAO``, randomly initialised with seed 0."""
    torch.manual_seed(0)
    return SOTInferencer(init_tracker(TINY_TAO))


def moving_box_frame(i: int, h: int = 96, w: int = 128) -> np.ndarray:
    """Frame ``i`` (h, w, 3) BGR: an orange 30x30 box 4 px right per frame
    on grey, at ``[30:60, 20 + 4i:50 + 4i]``."""
    f = np.full((h, w, 3), 40, np.uint8)
    f[30:60, 20 + 4 * i:50 + 4 * i] = (0, 200, 255)
    return f
