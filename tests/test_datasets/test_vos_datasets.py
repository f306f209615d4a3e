# Copyright (c) mmtao contributors. All rights reserved.
import json
import os.path as osp

import numpy as np
import pytest
from sot_layouts import write_frames, write_text
from PIL import Image
from pycocotools import mask as mask_utils

from mmtao.datasets import DAVISDataset, YouTubeVOSDataset


def _palette_png(path, shape, rects):
    """Indexed PNG: object k fills rects[k] = (x1, y1, x2, y2)."""
    ids = np.zeros(shape, np.uint8)
    for k, (x1, y1, x2, y2) in rects.items():
        ids[y1:y2, x1:x2] = k
    img = Image.fromarray(ids, mode='P')
    img.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [0] * (256 * 3 - 9))
    import os
    os.makedirs(osp.dirname(path), exist_ok=True)
    img.save(path)
    return ids


@pytest.fixture
def davis_root(tmp_path):
    root = str(tmp_path)
    write_frames(
        osp.join(root, 'JPEGImages', '480p', 'bear'),
        [f'{i:05d}.jpg' for i in range(3)],
        size=(32, 24))
    ann = osp.join(root, 'Annotations', '480p', 'bear')
    _palette_png(
        osp.join(ann, '00000.png'), (24, 32), {
            1: (2, 3, 10, 12),
            2: (20, 5, 30, 9)
        })
    _palette_png(osp.join(ann, '00001.png'), (24, 32), {1: (4, 4, 8, 8)})
    _palette_png(
        osp.join(ann, '00002.png'), (24, 32), {
            1: (0, 0, 1, 1),
            2: (21, 6, 31, 10)
        })
    write_text(osp.join(root, 'ImageSets', '2017', 'val.txt'), 'bear\n')
    return root


def test_davis_one_sequence_per_object(davis_root):
    ds = DAVISDataset(data_root=davis_root, pipeline=[])
    assert ds.num_videos == 2
    obj1, obj2 = ds[0], ds[1]
    assert (obj1['seq_name'], obj2['seq_name']) == ('bear_1', 'bear_2')
    np.testing.assert_allclose(obj1['bboxes'],
                               [[2, 3, 10, 12], [4, 4, 8, 8], [0, 0, 1, 1]])
    # object 2 is gone in frame 1: no box, not visible, empty mask
    np.testing.assert_array_equal(obj2['visible'], [1, 0, 1])
    assert np.isnan(obj2['bboxes'][1]).all()
    np.testing.assert_allclose(obj2['bboxes'][2], [21, 6, 31, 10])
    mask = mask_utils.decode(
        dict(obj2['mask_paths'][0], counts=obj2['mask_paths'][0]['counts']))
    expected = np.zeros((24, 32), np.uint8)
    expected[5:9, 20:30] = 1
    np.testing.assert_array_equal(mask, expected)
    assert mask_utils.decode(obj2['mask_paths'][1]).sum() == 0
    assert obj1['with_mask'] is True
    test = DAVISDataset(data_root=davis_root, test_mode=True, pipeline=[])
    assert len(test) == 6
    assert test[4]['seq_name'] == 'bear_2' and test[4]['frame_id'] == 1


def test_davis_rejects_rgb_annotations(davis_root):
    path = osp.join(davis_root, 'Annotations', '480p', 'bear', '00001.png')
    Image.fromarray(np.zeros((24, 32, 3), np.uint8)).save(path)
    ds = DAVISDataset(data_root=davis_root, pipeline=[])
    with pytest.raises(ValueError, match=r'00001.png: expected an indexed'):
        ds[0]


def test_youtube_vos_late_objects_and_sparse_annotations(tmp_path):
    root = str(tmp_path)
    names = ['00000', '00005', '00010']
    write_frames(
        osp.join(root, 'train', 'JPEGImages', 'vid1'),
        [n + '.jpg' for n in names],
        size=(16, 16))
    ann = osp.join(root, 'train', 'Annotations', 'vid1')
    _palette_png(osp.join(ann, '00000.png'), (16, 16), {1: (1, 1, 5, 5)})
    # object 2 enters at 00005; frame 00010 has no PNG at all
    _palette_png(
        osp.join(ann, '00005.png'), (16, 16), {
            1: (2, 2, 6, 6),
            2: (8, 8, 12, 14)
        })
    meta = dict(
        videos=dict(
            vid1=dict(
                objects={
                    '1': dict(category='cat', frames=['00000', '00005']),
                    '2': dict(category='dog', frames=['00005'])
                })))
    write_text(osp.join(root, 'train', 'meta.json'), json.dumps(meta))
    ds = YouTubeVOSDataset(data_root=root, pipeline=[])
    assert ds.num_videos == 2
    obj1, obj2 = ds[0], ds[1]
    assert obj1['video_length'] == 3 and obj2['video_length'] == 2
    assert obj2['img_paths'][0].endswith(osp.join('vid1', '00005.jpg'))
    np.testing.assert_allclose(obj2['bboxes'][0], [8, 8, 12, 14])
    np.testing.assert_array_equal(obj1['visible'], [1, 1, 0])
    assert obj1['mask_paths'][2] is None
    write_text(osp.join(root, 'train', 'meta.json'), '{"videos": [')
    with pytest.raises(ValueError, match=r'meta.json: invalid JSON'):
        YouTubeVOSDataset(data_root=root, pipeline=[])


def test_davis_gap_in_first_frame_ids_is_scored_as_official(tmp_path):
    """Frame 0 holds objects 1 and 3 (no 2); object 2 appears in frame 1.
    The official evaluation scores objects 1..max id of frame 0 = 1, 2, 3
    on frames 1..T-2. Tracks 1 and 3 perfect (J = 1); object 2 untracked:
    J = 0 on frame 1 (missed) and 1 on frame 2 (both empty): J-Mean
    (1 + 0.5 + 1) / 3, where scoring the tracked objects only gave 1."""
    import torch
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData

    from mmtao.registry import METRICS
    root = str(tmp_path / 'davis')
    shape = (12, 16)
    write_frames(osp.join(root, 'JPEGImages', '480p', 'cat'),
                 [f'{i:05d}.jpg' for i in range(4)], size=(16, 12))
    ann = osp.join(root, 'Annotations', '480p', 'cat')
    rects = [{1: (0, 0, 4, 4), 3: (10, 6, 14, 10)},
             {1: (0, 0, 4, 4), 2: (5, 0, 9, 4), 3: (10, 6, 14, 10)},
             {1: (0, 0, 4, 4), 3: (10, 6, 14, 10)},
             {1: (0, 0, 4, 4), 3: (10, 6, 14, 10)}]
    ids = [_palette_png(osp.join(ann, f'{t:05d}.png'), shape, r)
           for t, r in enumerate(rects)]
    write_text(osp.join(root, 'ImageSets', '2017', 'val.txt'), 'cat\n')
    ds = DAVISDataset(data_root=root, test_mode=True, pipeline=[])
    assert len(ds) == 8  # sequences cat_1 and cat_3 only
    assert ds[0]['video_num_objects'] == 3
    assert ds[1]['ann_png'] == osp.join(ann, '00001.png')
    samples = []
    for i in range(len(ds)):
        item = ds[i]
        oid = int(item['seq_name'].rsplit('_', 1)[1])
        sample = DetDataSample(metainfo=dict(
            {k: item[k] for k in ('video_id', 'frame_id', 'video_length',
                                  'seq_name', 'gt_bbox_ori', 'visible',
                                  'mask_path', 'ann_png',
                                  'video_num_objects')},
            ori_shape=shape, img_shape=shape))
        sample.pred_track_instances = InstanceData(
            bboxes=torch.tensor([[0., 0., 4., 4.]]),
            scores=torch.ones(1),
            masks=torch.from_numpy(ids[item['frame_id']] == oid)[None])
        samples.append(sample.to_dict())
    metric = METRICS.build(dict(type='DAVISMetric', object_from_seq_name=True,
                                outfile_prefix=str(tmp_path / 'out')))
    metric.dataset_meta = {}
    metric.process({}, samples)
    res = metric.evaluate(len(samples))
    assert res['davis/J-Mean'] == pytest.approx(2.5 / 3)
