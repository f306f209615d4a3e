# Copyright (c) mmtao contributors. All rights reserved.
"""Writers of tiny benchmark layouts for the dataset tests (importable from
every test folder under tests/test_datasets: its conftest puts this folder
on sys.path)."""
import os.path as osp

import numpy as np


def write_got10k_seq(root: str,
                     name: str,
                     boxes,
                     absence=None,
                     cover=None,
                     size=(40, 30),
                     num_frames=None) -> str:
    """Write one GOT-10k-layout sequence with flat grey frames."""
    import cv2
    seq = osp.join(root, name)
    import os
    os.makedirs(seq, exist_ok=True)
    n = num_frames if num_frames is not None else len(boxes)
    for i in range(n):
        img = np.full((size[1], size[0], 3), 10 * i, np.uint8)
        cv2.imwrite(osp.join(seq, f'{i + 1:08d}.jpg'), img)
    with open(osp.join(seq, 'groundtruth.txt'), 'w') as f:
        f.write(''.join(line + '\n' for line in boxes))
    if absence is not None:
        with open(osp.join(seq, 'absence.label'), 'w') as f:
            f.write(''.join(f'{v}\n' for v in absence))
    if cover is not None:
        with open(osp.join(seq, 'cover.label'), 'w') as f:
            f.write(''.join(f'{v}\n' for v in cover))
    return seq


def write_frames(folder: str, names, size=(32, 24)) -> None:
    """Write flat frames (value 10 * i) named ``names`` into ``folder``."""
    import os

    import cv2
    os.makedirs(folder, exist_ok=True)
    for i, name in enumerate(names):
        cv2.imwrite(
            osp.join(folder, name),
            np.full((size[1], size[0], 3), (10 * i) % 256, np.uint8))


def write_text(path: str, text: str) -> str:
    import os
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)
    return path
