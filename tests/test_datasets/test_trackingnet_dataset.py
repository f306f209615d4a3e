# Copyright (c) mmtao contributors. All rights reserved.
import os.path as osp

import numpy as np
import pytest
from sot_layouts import write_frames, write_text

from mmtao.datasets import TrackingNetDataset


@pytest.fixture
def trackingnet_root(tmp_path):
    root = str(tmp_path)
    for chunk, video, n, boxes in [
        ('TRAIN_0', 'vidA', 12, ['1,1,4,4'] * 12),
        ('TRAIN_1', 'vidB', 2, ['0,0,2,3', '1,1,0,0']),
        ('TEST', 'vidC', 3, ['2,3,4,5']),
    ]:
        write_frames(
            osp.join(root, chunk, 'frames', video),
            [f'{i}.jpg' for i in range(n)])
        write_text(
            osp.join(root, chunk, 'anno', video + '.txt'),
            '\n'.join(boxes) + '\n')
    return root


def test_train_chunks(trackingnet_root):
    ds = TrackingNetDataset(data_root=trackingnet_root, pipeline=[])
    assert ds.num_videos == 2
    a, b = ds[0], ds[1]
    assert a['seq_name'] == 'vidA' and a['video_length'] == 12
    # 0-based, unpadded frame names: 10.jpg must follow 9.jpg.
    assert a['img_paths'][10].endswith(osp.join('vidA', '10.jpg'))
    np.testing.assert_allclose(b['bboxes'], [[0, 0, 2, 3], [1, 1, 1, 1]])
    np.testing.assert_array_equal(b['visible'], [True, False])


def test_test_chunk(trackingnet_root):
    ds = TrackingNetDataset(
        data_root=trackingnet_root, test_mode=True, pipeline=[])
    assert len(ds) == 3
    np.testing.assert_allclose(ds[0]['gt_bbox_ori'], [2, 3, 6, 8])
    assert np.isnan(ds[2]['gt_bbox_ori']).all() and not ds[2]['visible']


def test_corrupt_trackingnet(trackingnet_root):
    write_text(
        osp.join(trackingnet_root, 'TRAIN_1', 'anno', 'vidB.txt'),
        '0,0,2,3\n0,0,2\n')
    ds = TrackingNetDataset(
        data_root=trackingnet_root, chunks=['TRAIN_1'], pipeline=[])
    with pytest.raises(ValueError, match=r'vidB.txt:2: expected 4'):
        ds[0]
    with pytest.raises(FileNotFoundError, match='TRAIN_7'):
        TrackingNetDataset(
            data_root=trackingnet_root, chunks=['TRAIN_7'], pipeline=[])
