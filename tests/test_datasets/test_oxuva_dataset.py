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
        # the official 12 columns (the real dev.csv's layout)
        'vid0000,0,3,cat,false,false,30,present,0.1,0.5,0.2,0.6\n'
        'vid0000,0,3,cat,false,false,60,absent,0.0,0.0,0.0,0.0\n'
        'vid0001,0,3,cat,unknown,unknown,0,present,0.0,0.1,0.0,0.1\n')
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
    # the 1 Hz labels: frames 30 (init) and 60, absolute frame numbers
    assert [i for i in range(len(ds)) if ds[i]['annotated']] == [0, 30]
    assert [ds[i]['frame_num'] for i in (0, 1, 39)] == [30, 31, 69]
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


def test_oxuva_flags_reach_the_data_sample(oxuva_root):
    from mmtao.utils import register_all_modules
    register_all_modules()
    ds = OxUvADataset(
        data_root=oxuva_root,
        test_mode=True,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(50, 25), keep_ratio=True),
            dict(type='PackSOTInputs')
        ])
    sample = ds[30]['data_samples']
    assert sample.annotated and not sample.visible
    assert sample.frame_num == 60
    assert not ds[31]['data_samples'].annotated


@pytest.mark.parametrize('row,match', [
    ('vid0000,0,3,cat,false,false,90,present,0.1,0.5,0.2,0.6',
     r'dev.csv:3: label at frame 90 is outside the task vid0000_0 '
     r'\(frames 30..69\)'),
    ('vid0000,0,3,cat,false,false,60,present,0.1,0.5,0.2,0.6',
     r'dev.csv:3: a second label for frame 60'),
    ('vid0000,0,3,cat,false,false,45,true,0.1,0.5,0.2,0.6',
     r'dev.csv:3: object_presence must be "present" or "absent"'),
    ('vid0000,0,3,cat,false,45,present,0.1,0.5,0.2,0.6',
     r'dev.csv:3: expected 12 fields'),
])
def test_oxuva_bad_labels(oxuva_root, row, match):
    write_text(
        osp.join(oxuva_root, 'annotations', 'dev.csv'),
        'vid0000,0,3,cat,false,false,30,present,0.1,0.5,0.2,0.6\n'
        'vid0000,0,3,cat,false,false,60,absent,0.0,0.0,0.0,0.0\n' + row +
        '\n')
    with pytest.raises(ValueError, match=match):
        OxUvADataset(data_root=oxuva_root, test_mode=True, pipeline=[])[0]


def test_oxuva_test_split_has_no_labels(tmp_path):
    root = str(tmp_path)
    write_frames(
        osp.join(root, 'images', 'test', 'vid0100'),
        [f'{i:06d}.jpeg' for i in range(100)],
        size=(100, 50))
    write_text(
        osp.join(root, 'tasks', 'test.csv'),
        'vid0100,obj0000,60,90,0.1,0.5,0.2,0.6\n')
    ds = OxUvADataset(
        data_root=root, split='test', test_mode=True, pipeline=[])
    assert len(ds) == 31
    assert ds[0]['img_path'].endswith(
        osp.join('images', 'test', 'vid0100', '000060.jpeg'))
    assert ds[0]['visible'] and ds[30]['frame_num'] == 90
    assert not any(ds[i]['annotated'] for i in range(len(ds)))
