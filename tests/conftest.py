# Copyright (c) mmtao contributors. All rights reserved.
import json
import os.path as osp

import numpy as np
import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def write_tiny_coco(root: str, num_images: int = 4, size: int = 64) -> str:
    """Write a tiny COCO-layout dataset: squares and discs on noise.

    Returns the path of ``annotations/coco.json``. Boxes and polygons are
    exact, so a detector can in principle overfit it.
    """
    import cv2
    rng = np.random.default_rng(0)
    images, annotations = [], []
    import os
    os.makedirs(osp.join(root, 'images'), exist_ok=True)
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    for i in range(num_images):
        img = rng.integers(0, 60, (size, size, 3), dtype=np.uint8)
        x, y, s = 8 + 4 * i, 10 + 2 * i, 20
        cat = 1 + i % 2
        if cat == 1:
            img[y:y + s, x:x + s] = (40, 200, 240)
            poly = [x, y, x + s, y, x + s, y + s, x, y + s]
        else:
            cx, cy, r = x + s / 2, y + s / 2, s / 2
            cv2.circle(img, (int(cx), int(cy)), int(r), (230, 90, 30), -1)
            ang = np.linspace(0, 2 * np.pi, 16, endpoint=False)
            poly = np.stack([cx + r * np.cos(ang), cy + r * np.sin(ang)],
                            1).reshape(-1).round(2).tolist()
        name = f'{i:04d}.jpg'
        cv2.imwrite(osp.join(root, 'images', name), img)
        images.append(dict(id=i + 1, file_name=name, width=size, height=size))
        annotations.append(
            dict(
                id=i + 1,
                image_id=i + 1,
                category_id=cat,
                bbox=[x, y, s, s],
                area=float(s * s),
                iscrowd=0,
                segmentation=[poly]))
    ann = dict(
        images=images,
        annotations=annotations,
        categories=[
            dict(id=1, name='square'), dict(id=2, name='disc')
        ])
    path = osp.join(root, 'annotations', 'coco.json')
    with open(path, 'w') as f:
        json.dump(ann, f)
    return path


@pytest.fixture(scope='session')
def tiny_coco_root(tmp_path_factory) -> str:
    root = str(tmp_path_factory.mktemp('tiny_coco'))
    write_tiny_coco(root)
    return root


@pytest.fixture(scope='session')
def tiny_world_root(tmp_path_factory) -> str:
    """A tiny synthetic world written by tools/misc/make_synthetic_world.py
    (2 videos x 8 frames, 96x72) with a train split only: ``ROOT/train/``
    (a GOT-10k split plus ``annotations/coco.json``), no ``val/``."""
    import subprocess
    import sys
    root = str(tmp_path_factory.mktemp('tiny_world'))
    proc = subprocess.run([
        sys.executable, 'tools/misc/make_synthetic_world.py', '--out',
        osp.join(root, 'train'), '--num-videos', '2', '--num-frames', '8',
        '--seed', '0', '--img-size', '96', '72'
    ],
                          cwd=REPO_ROOT,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return root
