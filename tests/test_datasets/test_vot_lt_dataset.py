# Copyright (c) mmtao contributors. All rights reserved.
import os.path as osp

import numpy as np
import pytest
from sot_layouts import write_frames, write_text

from mmtao.datasets import VOTLTDataset


def test_vot_lt_layout_with_absent_frames(tmp_path):
    root = str(tmp_path)
    write_frames(
        osp.join(root, 'ballet', 'color'),
        [f'{i:08d}.jpg' for i in range(1, 4)])
    write_text(
        osp.join(root, 'ballet', 'groundtruth.txt'),
        '1,2,3,4\nnan,nan,nan,nan\n2,2,2,2\n')
    # Older releases keep frames next to groundtruth.txt.
    write_frames(osp.join(root, 'bicycle'), ['00000001.jpg'])
    write_text(osp.join(root, 'bicycle', 'groundtruth.txt'), '1,1,1,1\n')
    write_text(osp.join(root, 'list.txt'), 'ballet\nbicycle\n')
    ds = VOTLTDataset(data_root=root, test_mode=True, pipeline=[])
    assert len(ds) == 4
    np.testing.assert_allclose(ds[0]['gt_bbox_ori'], [1, 2, 4, 6])
    assert np.isnan(ds[1]['gt_bbox_ori']).all() and not ds[1]['visible']
    assert ds[2]['visible']
    assert ds[3]['img_path'] == osp.join(root, 'bicycle', '00000001.jpg')
    train = VOTLTDataset(data_root=root, pipeline=[])
    np.testing.assert_array_equal(train[0]['visible'], [1, 0, 1])


def test_vot_lt_count_mismatch(tmp_path):
    root = str(tmp_path)
    write_frames(osp.join(root, 's', 'color'), ['00000001.jpg'])
    write_text(osp.join(root, 's', 'groundtruth.txt'), '1,1,1,1\n1,1,1,1\n')
    write_text(osp.join(root, 'list.txt'), 's\n')
    with pytest.raises(ValueError, match=r'groundtruth.txt: 2 boxes .* 1'):
        VOTLTDataset(data_root=root, pipeline=[])[0]
