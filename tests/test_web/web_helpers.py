# Copyright (c) mmtao contributors. All rights reserved.
"""Shared helpers of the browser demo's tests."""
import os.path as osp

import numpy as np

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO_VIDEO = osp.join(REPO_ROOT, 'demo', 'synthetic_demo.mp4')
CONFIG = osp.join(REPO_ROOT, 'configs', 'tao', 'tao_mbv2-fpn_320_synthetic.py')
CHECKPOINT = osp.join(REPO_ROOT, 'checkpoints',
                      'tao_mbv2-fpn_320_synthetic_fp16.pth')
# the embedded clip's object in frame 0 (demo/synthetic_demo.json)
FACE_XYWH = (132, 68, 48, 64)


def tiny_video(path, n=6, w=96, h=64):
    """A clip with a bright square moving right by 2 px a frame."""
    from mmtao.utils.video_io import Mp4Writer
    rng = np.random.default_rng(0)
    with Mp4Writer(str(path), fps=10) as writer:
        for i in range(n):
            img = rng.integers(0, 40, (h, w, 3), dtype=np.uint8)
            img[20:40, 10 + 2 * i:30 + 2 * i] = (40, 200, 240)
            writer.write(img)
    return path


def reference_track(model, start, num_frames, boxes_xywh, corrections=None):
    """The tracker API run directly (no web code): per frame the boxes
    (K, 4) xyxy, scores and masks (K, H, W) of ``SOTInferencer``."""
    from mmtao.apis import SOTInferencer
    from mmtao.utils.video_io import FrameReader
    reader = FrameReader(DEMO_VIDEO, max_frames=num_frames,
                         start_frame=start)
    inferencer = SOTInferencer(model)
    out = []
    for i, (index, frame) in enumerate(reader.indexed()):
        if i == 0:
            res = inferencer.init(
                frame, [[x, y, x + w, y + h] for x, y, w, h in boxes_xywh])
        else:
            res = inferencer.track(frame)
        pred = res.pred_track_instances
        out.append((index, pred.bboxes.numpy(), pred.scores.numpy(),
                    pred.masks.numpy()))
    return out
