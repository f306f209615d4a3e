# Copyright (c) mmtao contributors. All rights reserved.
"""Helpers building per-frame SOT test outputs (data contract §1-2)."""
from typing import Optional

import numpy as np
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData


def frame_sample(video_id: int,
                 frame_id: int,
                 video_length: int,
                 seq_name: str,
                 pred_bbox,
                 gt_bbox,
                 visible: bool,
                 score: float = 1.0,
                 img_shape=(100, 100),
                 mask: Optional[np.ndarray] = None,
                 mask_path: Optional[str] = None,
                 **extra_meta) -> dict:
    """One model output as the Evaluator hands it to ``process``."""
    ds = DetDataSample(
        metainfo=dict(
            video_id=video_id,
            frame_id=frame_id,
            video_length=video_length,
            seq_name=seq_name,
            img_path=f'{seq_name}/{frame_id + 1:08d}.jpg',
            ori_shape=img_shape,
            img_shape=img_shape,
            gt_bbox_ori=np.asarray(gt_bbox, np.float32),
            visible=visible,
            mask_path=mask_path,
            **extra_meta))
    pred = InstanceData()
    if pred_bbox is None:  # empty prediction
        pred.bboxes = torch.zeros(0, 4)
        pred.scores = torch.zeros(0)
    else:
        pred.bboxes = torch.tensor([pred_bbox], dtype=torch.float32)
        pred.scores = torch.tensor([score])
        if mask is not None:
            pred.masks = torch.from_numpy(mask[None])
    ds.pred_track_instances = pred
    return ds.to_dict()


def video_samples(video_id, seq_name, preds, gts, visible, scores=None,
                  img_shape=(100, 100)):
    n = len(preds)
    scores = [1.0] * n if scores is None else scores
    return [
        frame_sample(video_id, i, n, seq_name, preds[i], gts[i], visible[i],
                     scores[i], img_shape) for i in range(n)
    ]


NAN4 = [np.nan] * 4
# GOT-10k case of tests/test_evaluation/test_functional/test_eval_got10k.py:
# AO (1 + .5 + .5 + .35) / 4, SR0.5 = SR0.75 = 1/4
GOT_VIDEOS = [
    dict(
        video_id=0,
        seq_name='a',
        preds=[[50, 50, 60, 60], [0, 0, 10, 10], [0, 0, 10, 5],
               [50, 50, 60, 60]],
        gts=[[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10], NAN4],
        visible=[True, True, True, False],
        img_shape=(100, 100)),
    dict(
        video_id=1,
        seq_name='b',
        preds=[[0, 0, 1, 1], [15, 10, 25, 20], [-5, 10, 12, 20]],
        gts=[[10, 10, 20, 20]] * 3,
        visible=[True] * 3,
        img_shape=(20, 20)),
]


def got_samples():
    out = []
    for v in GOT_VIDEOS:
        out += video_samples(v['video_id'], v['seq_name'], v['preds'],
                             v['gts'], v['visible'], img_shape=v['img_shape'])
    return out
