# Copyright (c) mmtao contributors. All rights reserved.
import os
import os.path as osp

import numpy as np
import pytest
from sot_layouts import write_frames, write_text

from mmtao.datasets import LaSOTDataset


def _lasot(root, name, boxes, occ, oov, num_frames=None):
    seq = osp.join(root, name.rsplit('-', 1)[0], name)
    n = len(boxes) if num_frames is None else num_frames
    write_frames(
        osp.join(seq, 'img'), [f'{i:08d}.jpg' for i in range(1, n + 1)])
    write_text(osp.join(seq, 'groundtruth.txt'), '\n'.join(boxes) + '\n')
    write_text(osp.join(seq, 'full_occlusion.txt'), ','.join(map(str, occ)))
    write_text(osp.join(seq, 'out_of_view.txt'), ','.join(map(str, oov)))
    return seq


@pytest.fixture
def lasot_root(tmp_path):
    root = str(tmp_path)
    _lasot(root, 'airplane-1', ['1,2,3,4', '2,2,3,4', '3,2,3,4'], [0, 1, 0],
           [0, 0, 1])
    _lasot(root, 'bear-10', ['5,5,5,5'] * 2, [0, 0], [0, 0])
    write_text(osp.join(root, 'testing_set.txt'), 'bear-10\nairplane-1\n')
    return root


def test_official_list_and_visibility(lasot_root):
    ds = LaSOTDataset(data_root=lasot_root, pipeline=[])
    assert ds.num_videos == 2
    item = ds[1]  # airplane-1, second in testing_set.txt
    assert item['seq_name'] == 'airplane-1'
    np.testing.assert_allclose(item['bboxes'][2], [3, 2, 6, 6])
    # frame 1 fully occluded, frame 2 out of view
    np.testing.assert_array_equal(item['visible'], [1, 0, 0])
    assert item['img_paths'][0] == osp.join(lasot_root, 'airplane',
                                            'airplane-1', 'img',
                                            '00000001.jpg')
    test = LaSOTDataset(data_root=lasot_root, test_mode=True, pipeline=[])
    assert len(test) == 5
    assert test[2]['seq_name'] == 'airplane-1' and test[2]['frame_id'] == 0


def test_all_folders_when_no_list(lasot_root):
    ds = LaSOTDataset(data_root=lasot_root, ann_file='', pipeline=[])
    assert [ds[i]['seq_name'] for i in range(2)] == ['airplane-1', 'bear-10']


def test_corrupt_lasot(tmp_path):
    root = str(tmp_path)
    _lasot(root, 'cat-1', ['1,2,3,4', '1,2,3,4'], [0, 0, 0], [0, 0])
    write_text(osp.join(root, 'testing_set.txt'), 'cat-1\n')
    ds = LaSOTDataset(data_root=root, pipeline=[])
    with pytest.raises(ValueError, match=r'full_occlusion.txt: 3 flags'):
        ds.get_ann_infos_by_video(0)
    write_text(
        osp.join(root, 'cat', 'cat-1', 'groundtruth.txt'),
        '1,2,3,4\nnan,2,3,4\n')
    with pytest.raises(ValueError, match=r'groundtruth.txt:2: NaN'):
        LaSOTDataset(data_root=root, pipeline=[]).get_ann_infos_by_video(0)
    os.remove(osp.join(root, 'cat', 'cat-1', 'img', '00000001.jpg'))
    with pytest.raises(FileNotFoundError, match=r'img/00000001.jpg'):
        LaSOTDataset(data_root=root, pipeline=[])
