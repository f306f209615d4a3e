# Copyright (c) mmtao contributors. All rights reserved.
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
from sot_layouts import write_frames, write_text

from mmtao.datasets import ImageNetVIDDataset

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _converter():
    spec = importlib.util.spec_from_file_location(
        'imagenet_vid_to_sot',
        osp.join(REPO, 'tools', 'dataset_converters',
                 'imagenet_vid_to_sot.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _xml(objects, w=64, h=48):
    objs = ''.join(
        f'<object><trackid>{t}</trackid><name>{c}</name><bndbox>'
        f'<xmax>{x2}</xmax><xmin>{x1}</xmin><ymax>{y2}</ymax><ymin>{y1}</ymin>'
        f'</bndbox><occluded>{o}</occluded><generated>0</generated></object>'
        for t, c, (x1, y1, x2, y2), o in objects)
    return (f'<annotation><folder>x</folder><filename>0</filename><size>'
            f'<width>{w}</width><height>{h}</height></size>{objs}'
            '</annotation>')


@pytest.fixture
def vid_root(tmp_path):
    root = str(tmp_path)
    video = 'train/ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000000'
    write_frames(
        osp.join(root, 'Data', 'VID', video),
        [f'{i:06d}.JPEG' for i in range(4)],
        size=(64, 48))
    frames = [
        [(0, 'n01', (1, 2, 11, 12), 0)],
        [(0, 'n01', (2, 2, 12, 12), 1), (1, 'n02', (30, 30, 40, 44), 0)],
        [(1, 'n02', (31, 30, 41, 44), 0)],  # track 0 missing here
        [(0, 'n01', (3, 2, 13, 12), 0), (1, 'n02', (5, 5, 5, 9), 0)],
    ]
    for i, objs in enumerate(frames):
        write_text(
            osp.join(root, 'Annotations', 'VID', video, f'{i:06d}.xml'),
            _xml(objs))
    return root


def test_converter_and_dataset(vid_root):
    index = _converter().convert(vid_root, 'train')
    assert index['info'] == dict(
        split='train', num_videos=1, num_tracks=2, skipped_zero_size=1)
    assert index['categories'] == ['n01', 'n02']
    t0, t1 = index['tracks']
    assert t0['start_frame'] == 0 and t0['bboxes'][2] is None
    assert t0['occluded'] == [0, 1, 0, 0]
    # track 1: frames 1-2 (its zero-width box at frame 3 is skipped)
    assert t1['start_frame'] == 1 and len(t1['bboxes']) == 2
    write_text(
        osp.join(vid_root, 'annotations', 'imagenet_vid_train_sot.json'),
        json.dumps(index))
    ds = ImageNetVIDDataset(data_root=vid_root, pipeline=[])
    assert ds.num_videos == 2
    a, b = ds[0], ds[1]
    np.testing.assert_allclose(
        a['bboxes'][[0, 1,
                     3]], [[1, 2, 11, 12], [2, 2, 12, 12], [3, 2, 13, 12]])
    np.testing.assert_array_equal(a['visible'], [1, 1, 0, 1])
    assert a['mask_paths'] is None
    assert b['img_paths'][0].endswith('ILSVRC2015_train_00000000/000001.JPEG')
    test = ImageNetVIDDataset(data_root=vid_root, test_mode=True, pipeline=[])
    assert len(test) == 6


def test_converter_errors_name_the_file(vid_root):
    video = 'train/ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000000'
    bad = osp.join(vid_root, 'Annotations', 'VID', video, '000002.xml')
    write_text(bad, _xml([(1, 'n02', (31, 30, 20, 44), 0)]))
    with pytest.raises(
            ValueError, match=r'000002.xml: track 1 has a '
            'negative box size'):
        _converter().convert(vid_root, 'train')
    write_text(bad, '<annotation><size>')
    with pytest.raises(ValueError, match=r'000002.xml: not a valid XML'):
        _converter().convert(vid_root, 'train')
    with pytest.raises(FileNotFoundError, match='imagenet_vid_to_sot.py'):
        ImageNetVIDDataset(data_root=vid_root, pipeline=[])
