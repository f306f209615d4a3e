# Copyright (c) mmtao contributors. All rights reserved.
"""Training pairs look like test frames: template negatives and search
proposals lie inside the real image, never in the padding.

Real padded pairs are built by the CPU config's own tracking pipeline from
two tiny generated videos of different shapes (one tall, one wide), batched
by the config's data preprocessor (which pads both to the larger size) and
run through the CPU model's tracking loss. The real extent of every frame is
read independently from its pixels: the videos' backgrounds are bright
texture that colour jitter never makes black, while padding is zeros.
"""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.registry import init_default_scope

from conftest import REPO_ROOT

CPU_CFG = osp.join(REPO_ROOT, 'configs/tao/tao_mbv2-fpn_320_synthetic.py')


def _write_video(root: str, w: int, h: int, seed: int) -> dict:
    """Six frames of a dark disc moving over bright noise, the train-mode
    item SOTPairSampling reads (xyxy boxes, mask PNGs)."""
    rng = np.random.default_rng(seed)
    img_paths, mask_paths, boxes = [], [], []
    for t in range(6):
        img = rng.integers(120, 220, (h, w, 3), dtype=np.uint8)
        mask = np.zeros((h, w), np.uint8)
        cx, cy, r = w // 3 + 3 * t, h // 2, min(w, h) // 6
        cv2.circle(mask, (cx, cy), r, 255, -1)
        img[mask > 0] = (60, 30, 90)
        ys, xs = np.nonzero(mask)
        boxes.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
        img_paths.append(osp.join(root, f'{seed}_{t}.jpg'))
        mask_paths.append(osp.join(root, f'{seed}_{t}.png'))
        cv2.imwrite(img_paths[-1], img)
        cv2.imwrite(mask_paths[-1], mask)
    return dict(
        img_paths=img_paths,
        mask_paths=mask_paths,
        bboxes=np.array(boxes, np.float32),
        video_id=seed)


def _real_extent(img_chw: torch.Tensor) -> tuple:
    """(h, w) of the non-zero (non-padding) part of a uint8 frame."""
    content = img_chw.any(0).numpy()
    rows, cols = np.nonzero(content.any(1))[0], np.nonzero(content.any(0))[0]
    # the content is one top-left rectangle: padding is bottom / right only
    assert content[:rows.max() + 1, :cols.max() + 1].all()
    return rows.max() + 1, cols.max() + 1


@pytest.fixture(scope='module')
def cfg() -> Config:
    from mmtao.utils import register_all_modules
    register_all_modules()
    return Config.fromfile(CPU_CFG)


@pytest.fixture(scope='module')
def padded_batch(cfg, tmp_path_factory):
    """Two packed pairs (tall and wide video) through the CPU config's
    tracking pipeline, and their real extents [(template, search), ...]."""
    init_default_scope('mmtao')
    root = str(tmp_path_factory.mktemp('extent_videos'))
    videos = [_write_video(root, 90, 120, 0), _write_video(root, 160, 90, 1)]
    track = cfg.train_dataloader.dataset.datasets[1]
    assert track.pipeline[0]['type'] == 'SOTPairSampling'
    pipeline = Compose(track.pipeline)
    np.random.seed(0)
    torch.manual_seed(0)
    packed = []
    for video in videos:
        out = None
        while out is None:  # a crop without the object is redrawn
            out = pipeline(dict(video))
        packed.append(out)
    extents = [(_real_extent(p['inputs'][0]), _real_extent(p['inputs'][1]))
               for p in packed]
    for p, (t_ext, s_ext) in zip(packed, extents):
        # what the model reads as the real extent is the pixels' one
        assert tuple(p['data_samples'].template_img_shape) == t_ext
        assert tuple(p['data_samples'].img_shape) == s_ext
    return packed, extents


def test_negatives_and_proposals_inside_the_real_image(cfg, padded_batch):
    from mmtao.registry import MODELS
    packed, extents = padded_batch
    model = MODELS.build(cfg.model)  # random weights: geometry only
    model.train()
    data = model.data_preprocessor(
        dict(
            inputs=[p['inputs'] for p in packed],
            data_samples=[p['data_samples'] for p in packed]),
        training=True)
    batch_h, batch_w = data['inputs']['template'].shape[-2:]
    # the batch is padded: the tall video's frames are far narrower
    assert any(t[1] < batch_w or t[0] < batch_h for t, _ in extents)

    head = model.template_head
    calls, proposals = [], []
    draw_cells, rpn_loss_and_predict = head.negative_cells, \
        model.rpn_head.loss_and_predict

    def spy_cells(featmap_sizes, box, img_shape, generator=None):
        cells = draw_cells(featmap_sizes, box, img_shape, generator)
        calls.append((list(featmap_sizes), cells))
        return cells

    def spy_rpn(*args, **kwargs):
        losses, results = rpn_loss_and_predict(*args, **kwargs)
        proposals.extend(r.bboxes.detach() for r in results)
        return losses, results

    head.negative_cells = spy_cells
    model.rpn_head.loss_and_predict = spy_rpn
    with torch.no_grad():
        model.loss(data['inputs'], data['data_samples'])

    # one template per pair, in batch order
    assert len(calls) == len(packed)
    for (sizes, cells), ((th, tw), _) in zip(calls, extents):
        assert sum(len(c) for c in cells) == head.num_negatives
        for (fh, fw), stride, idx in zip(sizes, head.featmap_strides, cells):
            assert (fh, fw) == (int(np.ceil(batch_h / stride)),
                                int(np.ceil(batch_w / stride)))
            cx = (idx % fw + 0.5) * stride
            cy = (idx // fw + 0.5) * stride
            assert (cx < tw).all() and (cy < th).all(), \
                f'negative in padding (stride {stride}, real {th}x{tw})'
    # mmdet clips detection proposals to img_shape: tracking too, to the
    # search frame's real extent
    assert len(proposals) == len(packed)
    for boxes, (_, (sh, sw)) in zip(proposals, extents):
        assert len(boxes)
        assert (boxes[:, [0, 2]] <= sw).all() and (boxes[:, [1, 3]] <=
                                                   sh).all()
