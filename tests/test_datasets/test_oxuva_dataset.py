# Copyright (c) mmtao contributors. All rights reserved.
import os.path as osp

import numpy as np
import pytest
from sot_layouts import write_frames, write_text

from mmtao.datasets import OxUvADataset


@pytest.fixture
def oxuva_root(tmp_path):
    root = str(tmp_path)
    write_frames(
        osp.join(root, 'images', 'dev', 'vid0000'),
        [f'{i:06d}.jpeg' for i in range(70)],
        size=(100, 50))
    write_text(
        osp.join(root, 'tasks', 'dev.csv'),
        'vid0000,0,30,69,0.1,0.5,0.2,0.6\n')
    write_text(
        osp.join(root, 'annotations', 'dev.csv'),
        'vid0000,0,3,cat,False,30,present,0.1,0.5,0.2,0.6\n'
        'vid0000,0,3,cat,False,60,absent,0.0,0.0,0.0,0.0\n'
        'vid0000,0,3,cat,False,0,present,0.0,0.1,0.0,0.1\n')
    return root


def test_oxuva_task_and_sparse_labels(oxuva_root):
    ds = OxUvADataset(data_root=oxuva_root, test_mode=True, pipeline=[])
    assert len(ds) == 40  # frames 30..69
    first = ds[0]
    assert first['seq_name'] == 'vid0000_0'
    assert first['img_path'].endswith(osp.join('vid0000', '000030.jpeg'))
    # normalised (xmin=.1, xmax=.5, ymin=.2, ymax=.6) of a 100x50 frame
    np.testing.assert_allclose(first['gt_bbox_ori'], [10, 10, 50, 30])
    assert first['visible']
    assert np.isnan(ds[1]['gt_bbox_ori']).all() and not ds[1]['visible']
    assert not ds[30]['visible']  # frame 60: absent
    train = OxUvADataset(data_root=oxuva_root, pipeline=[])
    assert train[0]['visible'].sum() == 1


def test_oxuva_corrupt_rows(oxuva_root):
    write_text(
        osp.join(oxuva_root, 'tasks', 'dev.csv'),
        'vid0000,0,30,69,0.1,0.5,0.2\n')
    with pytest.raises(ValueError, match=r'dev.csv:1: expected 8 fields'):
        OxUvADataset(data_root=oxuva_root, pipeline=[])
    write_text(
        osp.join(oxuva_root, 'tasks', 'dev.csv'),
        'vid0000,0,30,69,0.5,0.1,0.2,0.6\n')
    with pytest.raises(ValueError, match=r'dev.csv:1: negative box size'):
        OxUvADataset(data_root=oxuva_root, pipeline=[])
