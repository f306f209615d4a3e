# Copyright (c) mmtao contributors. All rights reserved.
import os
import os.path as osp

import numpy as np
import pytest
from sot_layouts import write_got10k_seq

from mmtao.datasets import GOT10kDataset

BOXES_A = ['1,2,10,20', '3.5,4,8,6', '0,0,0,0', '5,5,10,10']


@pytest.fixture
def got10k_root(tmp_path):
    root = str(tmp_path)
    write_got10k_seq(
        root,
        'GOT-10k_Train_000001',
        BOXES_A,
        absence=[0, 0, 1, 0],
        cover=[8, 3, 0, 5])
    write_got10k_seq(
        root,
        'GOT-10k_Train_000002', ['2,2,4,4'] * 2,
        absence=[0, 0],
        cover=[8, 8])
    with open(osp.join(root, 'list.txt'), 'w') as f:
        f.write('GOT-10k_Train_000001\nGOT-10k_Train_000002\n')
    return root


def test_train_mode_indexes_videos(got10k_root):
    ds = GOT10kDataset(data_root=got10k_root, pipeline=[])
    assert len(ds) == ds.num_videos == 2
    assert [ds.get_len_per_video(v) for v in range(2)] == [4, 2]
    item = ds[0]
    # x,y,w,h -> x1,y1,x2,y2 with x2 = x + w (hand-computed).
    np.testing.assert_allclose(
        item['bboxes'],
        [[1, 2, 11, 22], [3.5, 4, 11.5, 10], [0, 0, 0, 0], [5, 5, 15, 15]])
    assert item['bboxes'].dtype == np.float32
    np.testing.assert_array_equal(item['visible'], [1, 1, 0, 1])
    np.testing.assert_array_equal(item['bboxes_isvalid'], [1, 1, 0, 1])
    np.testing.assert_allclose(item['visible_ratio'], [1, 3 / 8, 0, 5 / 8])
    assert item['img_paths'][3] == osp.join(got10k_root,
                                            'GOT-10k_Train_000001',
                                            '00000004.jpg')
    np.testing.assert_array_equal(item['frame_ids'], [0, 1, 2, 3])
    assert item['mask_paths'] is None and item['with_mask'] is False
    assert item['seq_name'] == 'GOT-10k_Train_000001'


def test_cache_returns_copies(got10k_root):
    ds = GOT10kDataset(data_root=got10k_root, pipeline=[])
    ann = ds.get_ann_infos_by_video(0)
    ann['bboxes'][:] = -1
    assert ds.get_ann_infos_by_video(0)['bboxes'][0, 2] == 11


def test_test_mode_indexes_frames(got10k_root):
    ds = GOT10kDataset(data_root=got10k_root, test_mode=True, pipeline=[])
    assert len(ds) == 6
    assert [ds.locate(i) for i in range(6)] == [(0, 0), (0, 1), (0, 2), (0, 3),
                                                (1, 0), (1, 1)]
    info = ds[1]
    assert info['frame_id'] == 1 and info['video_id'] == 0
    assert info['video_length'] == 4
    np.testing.assert_allclose(info['gt_bbox_ori'], [3.5, 4, 11.5, 10])
    assert info['visible'] is True
    assert info['instances'][0]['bbox'] == [3.5, 4, 11.5, 10]
    assert ds[2]['visible'] is False
    info = ds[5]
    assert (info['video_id'], info['frame_id']) == (1, 1)
    with pytest.raises(IndexError):
        ds.locate(6)


def test_test_split_has_only_the_first_box(tmp_path):
    root = str(tmp_path)
    write_got10k_seq(root, 'GOT-10k_Test_000001', ['4,4,6,6'], num_frames=3)
    with open(osp.join(root, 'list.txt'), 'w') as f:
        f.write('GOT-10k_Test_000001\n')
    ds = GOT10kDataset(data_root=root, test_mode=True, pipeline=[])
    assert len(ds) == 3
    np.testing.assert_allclose(ds[0]['gt_bbox_ori'], [4, 4, 10, 10])
    assert ds[0]['visible'] is True
    assert np.isnan(ds[1]['gt_bbox_ori']).all()
    assert ds[1]['visible'] is False and ds[1]['instances'] == []


def test_masks_of_the_synthetic_world(synthetic_world):
    ds = GOT10kDataset(data_root=synthetic_world, pipeline=[])
    item = ds[2]
    assert item['with_mask'] is True
    assert item['mask_paths'][0].endswith(
        osp.join('SYN_Train_000003', 'masks', '00000001.png'))


def test_with_mask_true_requires_masks(got10k_root):
    ds = GOT10kDataset(data_root=got10k_root, with_mask=True, pipeline=[])
    with pytest.raises(FileNotFoundError, match=r'000001/masks does not'):
        ds.get_ann_infos_by_video(0)
    with pytest.raises(ValueError, match='with_mask'):
        GOT10kDataset(data_root=got10k_root, with_mask='yes', pipeline=[])


def _one_seq(root, boxes, **kwargs):
    write_got10k_seq(root, 'seq', boxes, **kwargs)
    with open(osp.join(root, 'list.txt'), 'w') as f:
        f.write('seq\n')
    return GOT10kDataset(data_root=root, pipeline=[], lazy_init=True)


@pytest.mark.parametrize('boxes,match', [
    (['1,2,3,4', '1,2,3'], r'groundtruth.txt:2: expected 4 numbers'),
    (['1,2,3,4', '1,2,-3,4'], r'groundtruth.txt:2: negative box size'),
    (['1,2,3,4', '1,a,3,4'], r'groundtruth.txt:2: non-numeric'),
    (['1,2,3,4', '', '1,2,3,4'], r'groundtruth.txt:2: blank line'),
])
def test_corrupt_groundtruth_names_file_and_line(tmp_path, boxes, match):
    ds = _one_seq(str(tmp_path), boxes, num_frames=3)
    with pytest.raises(ValueError, match=match):
        ds.get_ann_infos_by_video(0)


def test_corrupt_labels_and_counts(tmp_path):
    ds = _one_seq(str(tmp_path / 'a'), ['1,2,3,4'] * 2, absence=[0, 2])
    with pytest.raises(ValueError, match=r'absence.label:2: label 2 out'):
        ds.get_ann_infos_by_video(0)
    ds = _one_seq(str(tmp_path / 'b'), ['1,2,3,4'] * 2, cover=[8])
    with pytest.raises(ValueError, match=r'cover.label: 1 labels .* 2 frames'):
        ds.get_ann_infos_by_video(0)
    ds = _one_seq(str(tmp_path / 'c'), ['1,2,3,4'] * 2, num_frames=3)
    with pytest.raises(ValueError, match=r'groundtruth.txt: 2 boxes .* 3'):
        ds.get_ann_infos_by_video(0)


def test_nan_box_on_visible_frame_names_file_and_line(tmp_path):
    # GOT-10k's toolkit would turn the whole benchmark into NaN: an error
    boxes = ['1,2,3,4', '1,2,3,4', 'nan,nan,nan,nan']
    ds = _one_seq(str(tmp_path / 'a'), boxes, absence=[0, 0, 0],
                  cover=[8, 8, 8])
    with pytest.raises(ValueError, match=r'groundtruth.txt:3: NaN box on a '
                       'frame marked visible'):
        ds.get_ann_infos_by_video(0)
    # absent there: fine
    ds = _one_seq(str(tmp_path / 'b'), boxes, absence=[0, 0, 1],
                  cover=[8, 8, 0])
    assert not ds.get_ann_infos_by_video(0)['visible'][2]


def test_missing_frame_and_sequence(tmp_path):
    root = str(tmp_path)
    seq = write_got10k_seq(root, 'seq', ['1,2,3,4'] * 3)
    os.remove(osp.join(seq, '00000002.jpg'))
    with open(osp.join(root, 'list.txt'), 'w') as f:
        f.write('seq\n')
    with pytest.raises(FileNotFoundError, match=r'seq/00000002.jpg'):
        GOT10kDataset(data_root=root, pipeline=[])
    root = str(tmp_path / 'other')
    write_got10k_seq(root, 'seq', ['1,2,3,4'] * 3)
    with open(osp.join(root, 'list.txt'), 'w') as f:
        f.write('seq\nnot_there\n')
    with pytest.raises(
            FileNotFoundError, match=r'list.txt: sequence '
            r"'not_there'"):
        GOT10kDataset(data_root=root, pipeline=[])
    with open(osp.join(root, 'list.txt'), 'w') as f:
        f.write('seq\nseq\n')
    with pytest.raises(ValueError, match=r'list.txt:2: duplicate'):
        GOT10kDataset(data_root=root, pipeline=[])


def test_train_item_feeds_pair_sampling(synthetic_world):
    """The train-mode item is what SOTPairSampling reads (data contract
    §4): both frames it picks show the object, with boxes of the item."""
    from mmtao.utils import register_all_modules
    register_all_modules()
    ds = GOT10kDataset(
        data_root=synthetic_world,
        pipeline=[dict(type='SOTPairSampling', frame_range=5)])
    np.random.seed(0)
    for video_idx in range(ds.num_videos):
        item = ds.get_video_info(video_idx)
        out = ds[video_idx]
        assert out['with_mask'] is True
        for frame in out['frames']:
            i = frame['frame_id']
            assert item['visible'][i]
            assert frame['img_path'] == item['img_paths'][i]
            np.testing.assert_allclose(frame['instances'][0]['bbox'],
                                       item['bboxes'][i])
            assert frame['instances'][0]['mask'] == item['mask_paths'][i]


@pytest.mark.parametrize('boxes', [
    ['nan,nan,nan,nan', '1,2,3,4', '1,2,3,4'],  # train / val layout
    ['nan,1,2,3'],  # test layout: the first box only
])
def test_nan_first_box_names_the_file(tmp_path, boxes):
    ds = _one_seq(str(tmp_path), boxes, num_frames=3)
    with pytest.raises(
            ValueError,
            match=r'seq/groundtruth.txt:1: NaN in the first box, which '
            'initialises the tracker'):
        ds.get_ann_infos_by_video(0)


def test_nan_without_labels_is_an_error(tmp_path):
    # no absence.label / cover.label: every frame counts as visible
    ds = _one_seq(str(tmp_path), ['1,2,3,4', 'nan,nan,nan,nan', '1,2,3,4'])
    with pytest.raises(ValueError, match=r'groundtruth.txt:2: NaN box'):
        ds.get_ann_infos_by_video(0)


def test_metric_scores_absent_frames_with_cover_as_the_toolkit(tmp_path):
    """GOT-10k toolkit: ``ious[covers > 0]``, whatever absence.label says.
    Frame 2 is marked absent but has cover 3: scored (IoU 0.5); frame 3
    has cover 0: not scored. AO = (1 + 0.5) / 2, where dropping absent
    frames gave 1."""
    import torch
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData

    from mmtao.registry import METRICS
    root = str(tmp_path / 'val')
    write_got10k_seq(root, 's', ['0,0,10,10'] * 4, absence=[0, 0, 1, 0],
                     cover=[8, 8, 3, 0])
    with open(osp.join(root, 'list.txt'), 'w') as f:
        f.write('s\n')
    ds = GOT10kDataset(data_root=root, test_mode=True, pipeline=[])
    assert [ds[i]['visible'] for i in range(4)] == [True, True, False, False]
    assert [ds[i]['cover_visible'] for i in range(4)] == [
        True, True, True, False]
    preds = [[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 5], [20, 20, 30, 30]]
    samples = []
    for i in range(4):
        item = ds[i]
        sample = DetDataSample(metainfo=dict(
            {k: item[k] for k in ('video_id', 'frame_id', 'video_length',
                                  'seq_name', 'gt_bbox_ori', 'visible',
                                  'cover_visible')},
            ori_shape=(30, 40), img_shape=(30, 40)))
        sample.pred_track_instances = InstanceData(
            bboxes=torch.tensor([preds[i]], dtype=torch.float32),
            scores=torch.ones(1))
        samples.append(sample.to_dict())
    metric = METRICS.build(
        dict(type='GOT10kMetric', outfile_prefix=str(tmp_path / 'out')))
    metric.process({}, samples)
    assert metric.evaluate(4)['got10k/AO'] == pytest.approx(0.75)
