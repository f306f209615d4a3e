# Copyright (c) mmtao contributors. All rights reserved.
import os.path as osp

import numpy as np
import pytest
from sot_layouts import write_frames, write_text

from mmtao.datasets import OTB100Dataset


@pytest.fixture
def otb_root(tmp_path):
    root = str(tmp_path)
    write_frames(
        osp.join(root, 'Basketball', 'img'),
        [f'{i:04d}.jpg' for i in range(1, 4)])
    # OTB mixes separators: comma, tab, spaces.
    write_text(
        osp.join(root, 'Basketball', 'groundtruth_rect.txt'),
        '1,2,3,4\n2\t2\t3\t4\n3 2 3 4\n')
    write_frames(
        osp.join(root, 'Jogging', 'img'),
        [f'{i:04d}.jpg' for i in range(1, 3)])
    write_text(
        osp.join(root, 'Jogging', 'groundtruth_rect.1.txt'),
        '1,1,2,2\n1,1,2,2\n')
    write_text(
        osp.join(root, 'Jogging', 'groundtruth_rect.2.txt'),
        '5,5,2,2\n6,6,2,2\n')
    # David: 5 images, annotation from image 3 on (start_frames override).
    write_frames(
        osp.join(root, 'David', 'img'), [f'{i:04d}.jpg' for i in range(1, 6)])
    write_text(
        osp.join(root, 'David', 'groundtruth_rect.txt'),
        '1,1,1,1\n2,2,2,2\n3,3,3,3\n')
    return root


def test_otb_layout(otb_root):
    ds = OTB100Dataset(
        data_root=otb_root, start_frames=dict(David=3), pipeline=[])
    names = [ds[i]['seq_name'] for i in range(ds.num_videos)]
    assert names == ['Basketball', 'David', 'Jogging-1', 'Jogging-2']
    np.testing.assert_allclose(ds[0]['bboxes'][1], [2, 2, 5, 6])
    david = ds[1]
    assert david['video_length'] == 3
    assert david['img_paths'][0].endswith(osp.join('David', 'img', '0003.jpg'))
    np.testing.assert_allclose(ds[3]['bboxes'][1], [6, 6, 8, 8])
    test = OTB100Dataset(
        data_root=otb_root,
        start_frames=dict(David=3),
        test_mode=True,
        pipeline=[])
    assert len(test) == 3 + 3 + 2 + 2


def test_otb_mismatch_is_an_error(otb_root):
    # Default table says David starts at 300: 302 images needed.
    with pytest.raises(
            ValueError,
            match=r'David/groundtruth_rect.txt: 3 '
            r'boxes from image 300'):
        OTB100Dataset(data_root=otb_root, pipeline=[])
    write_text(
        osp.join(otb_root, 'Basketball', 'groundtruth_rect.txt'), '1,2,3,4\n')
    with pytest.raises(ValueError, match=r'1 boxes but 3 images'):
        OTB100Dataset(
            data_root=otb_root, start_frames=dict(David=3), pipeline=[])


def test_otb_name_list(otb_root):
    write_text(osp.join(otb_root, 'names.txt'), 'Jogging-2\nBasketball\n')
    ds = OTB100Dataset(data_root=otb_root, ann_file='names.txt', pipeline=[])
    assert [ds[i]['seq_name'] for i in range(2)] == ['Basketball', 'Jogging-2']
    write_text(osp.join(otb_root, 'names.txt'), 'Jogging-3\n')
    with pytest.raises(FileNotFoundError, match='Jogging-3'):
        OTB100Dataset(data_root=otb_root, ann_file='names.txt', pipeline=[])
