# Copyright (c) mmtao contributors. All rights reserved.
import os.path as osp

import numpy as np
import pytest
import torch

from mmtao.datasets import GOT10kDataset
from mmtao.datasets.transforms import PackSOTInputs
from mmtao.registry import TRANSFORMS


def _test_dataset(root, scale):
    from mmtao.utils import register_all_modules
    register_all_modules()
    return GOT10kDataset(
        data_root=root,
        test_mode=True,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=scale, keep_ratio=True),
            dict(type='PackSOTInputs')
        ])


def test_contract_sample_with_resize(synthetic_world):
    # 96x72 frames resized to fit 48x48 -> scale 0.5, input 48x36.
    ds = _test_dataset(synthetic_world, (48, 48))
    sample = ds[13]  # video 1, frame 1
    assert sample['inputs'].shape == (3, 36, 48)
    assert sample['inputs'].dtype == torch.uint8
    ds_ = sample['data_samples']
    assert (ds_.video_id, ds_.frame_id, ds_.video_length) == (1, 1, 12)
    assert ds_.seq_name == 'SYN_Train_000002'
    assert ds_.ori_shape == (72, 96) and ds_.img_shape == (36, 48)
    gt = np.loadtxt(
        osp.join(synthetic_world, 'SYN_Train_000002', 'groundtruth.txt'),
        delimiter=',')[1]
    xyxy = np.array([gt[0], gt[1], gt[0] + gt[2], gt[1] + gt[3]])
    np.testing.assert_allclose(ds_.gt_bbox_ori, xyxy)
    assert ds_.gt_bbox_ori.dtype == np.float32
    assert ds_.visible is bool(gt[2] > 0)
    assert ds_.gt_instances.bboxes.shape == (1, 4)
    np.testing.assert_allclose(ds_.gt_instances.bboxes[0].numpy(), xyxy * 0.5)
    assert ds_.gt_instances.labels.tolist() == [0]
    assert ds_.gt_instances.labels.dtype == torch.long
    assert ds_.mask_path == osp.join(synthetic_world, 'SYN_Train_000002',
                                     'masks', '00000002.png')


def test_nan_box_and_loaded_annotations(tmp_path):
    from sot_layouts import write_got10k_seq
    root = str(tmp_path)
    write_got10k_seq(root, 'seq', ['4,6,10,8'], num_frames=2, size=(40, 30))
    with open(osp.join(root, 'list.txt'), 'w') as f:
        f.write('seq\n')
    ds = _test_dataset(root, (80, 80))  # upscale x2
    first, second = ds[0]['data_samples'], ds[1]['data_samples']
    np.testing.assert_allclose(first.gt_instances.bboxes.numpy(),
                               [[8, 12, 28, 28]])
    assert torch.isnan(second.gt_instances.bboxes).all()
    assert second.gt_instances.bboxes.shape == (1, 4)
    assert second.visible is False
    # With LoadAnnotations + Resize, mmdet's resized gt_bboxes are used and
    # agree with the scaled original box.
    ds.pipeline.transforms.insert(
        1, TRANSFORMS.build(dict(type='LoadAnnotations', with_bbox=True)))
    np.testing.assert_allclose(ds[0]['data_samples'].gt_instances.bboxes,
                               [[8, 12, 28, 28]])


def test_missing_keys_are_named():
    pack = PackSOTInputs()
    with pytest.raises(KeyError, match='gt_bbox_ori'):
        pack(dict(img=np.zeros((4, 4, 3), np.uint8), frame_id=0, video_id=0))
    with pytest.raises(ValueError, match=r'shape \(4, \)'):
        pack(
            dict(
                img=np.zeros((4, 4, 3), np.uint8),
                frame_id=0,
                video_id=0,
                gt_bbox_ori=np.zeros(5)))
