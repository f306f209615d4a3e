# Copyright (c) mmtao contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmdet.models.data_preprocessors import DetDataPreprocessor
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import InstanceData

from mmtao.models.data_preprocessors import JointDataPreprocessor

CFG = dict(
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_mask=True,
    pad_size_divisor=32)


def sample(h, w, with_mask, template_bbox=None):
    meta = dict(img_shape=(h, w), ori_shape=(h, w), scale_factor=(1., 1.))
    if template_bbox is not None:
        meta.update(
            template_bbox=np.array(template_bbox, np.float32),
            with_mask=with_mask)
    s = DetDataSample(metainfo=meta)
    s.gt_instances = InstanceData(
        bboxes=torch.tensor([[2., 3., 20., 30.]]),
        labels=torch.zeros(1, dtype=torch.long))
    if with_mask:
        s.gt_instances.masks = BitmapMasks(np.ones((1, h, w), np.uint8), h, w)
    return s


def rand_img(*shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, shape, dtype=torch.uint8, generator=g)


def test_mixed_batch_is_split_and_each_group_matches_det_preprocessor():
    joint = JointDataPreprocessor(**CFG)
    plain = DetDataPreprocessor(**CFG)
    det = [rand_img(3, 40, 50, seed=1), rand_img(3, 33, 64, seed=2)]
    pairs = [rand_img(2, 3, 50, 40, seed=3), rand_img(2, 3, 70, 30, seed=4)]
    samples = [
        sample(50, 40, True, [1, 1, 9, 9]),
        sample(40, 50, True),
        sample(70, 30, False, [2, 2, 8, 8]),
        sample(33, 64, False),
    ]
    out = joint(
        dict(
            inputs=[pairs[0], det[0], pairs[1], det[1]], data_samples=samples),
        True)
    inputs, data_samples = out['inputs'], out['data_samples']
    assert [s.img_shape for s in data_samples['det']] == [(40, 50), (33, 64)]
    assert [s.img_shape for s in data_samples['track']] == [(50, 40), (70, 30)]
    ref_det = plain(dict(inputs=det, data_samples=None), True)['inputs']
    ref_tpl = plain(
        dict(inputs=[p[0] for p in pairs], data_samples=None), True)['inputs']
    ref_sch = plain(
        dict(inputs=[p[1] for p in pairs], data_samples=None), True)['inputs']
    torch.testing.assert_close(inputs['det'], ref_det)
    torch.testing.assert_close(inputs['template'], ref_tpl)
    torch.testing.assert_close(inputs['search'], ref_sch)
    assert inputs['search'].shape == (2, 3, 96, 64)
    for s in data_samples['track']:
        assert s.batch_input_shape == (96, 64)
    # masks padded where they exist, absent where they do not
    assert data_samples['track'][0].gt_instances.masks.masks.shape == (1, 96,
                                                                       64)
    assert 'masks' not in data_samples['track'][1].gt_instances
    assert data_samples['det'][0].gt_instances.masks.masks.shape == (1, 64, 64)


def test_detection_only_and_test_mode():
    joint = JointDataPreprocessor(**CFG)
    plain = DetDataPreprocessor(**CFG)
    imgs = [rand_img(3, 40, 50)]
    out = joint(dict(inputs=imgs, data_samples=[sample(40, 50, True)]), True)
    assert out['inputs']['template'] is None
    assert out['data_samples']['track'] == []
    test = joint(dict(inputs=imgs, data_samples=[sample(40, 50, False)]))
    ref = plain(dict(inputs=imgs, data_samples=[sample(40, 50, False)]))
    torch.testing.assert_close(test['inputs'], ref['inputs'])
    assert isinstance(test['data_samples'], list)


def test_bad_inputs_raise():
    joint = JointDataPreprocessor(**CFG)
    with pytest.raises(ValueError, match=r'inputs\[0\] has shape'):
        joint(
            dict(
                inputs=[rand_img(3, 3, 8, 8)],
                data_samples=[sample(8, 8, False)]), True)
    with pytest.raises(ValueError, match='one data sample per input'):
        joint(dict(inputs=[rand_img(3, 8, 8)], data_samples=[]), True)
