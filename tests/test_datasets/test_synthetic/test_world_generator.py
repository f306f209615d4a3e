# Copyright (c) mmtao contributors. All rights reserved.
import filecmp
import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmtao.datasets.synthetic import (CATEGORIES, SyntheticWorldGenerator,
                                      build_sprite_bank)

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def _seq_names(root):
    with open(osp.join(root, 'list.txt')) as f:
        return [line.strip() for line in f if line.strip()]


def _tight_box(mask):
    """Reference: x, y, w, h of the nonzero pixels (x2 one past the end)."""
    ys, xs = np.nonzero(mask)
    return xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min()


def test_sprite_bank_has_every_category_with_real_masks():
    bank = build_sprite_bank()
    assert tuple(bank) == CATEGORIES
    # 3 textured horses, the coins of skimage's photo, 1 of each other.
    assert len(bank['horse']) == 3
    assert len(bank['coin']) >= 15
    for sprites in bank.values():
        for s in sprites:
            assert s.img.shape[:2] == s.mask.shape
            assert set(np.unique(s.mask)) <= {0, 255}
            assert s.area == int((s.mask > 0).sum())
            # Cropped to the mask: the mask touches all four sides (+2 px).
            x, y, w, h = cv2.boundingRect(s.mask)
            assert x <= 2 and y <= 2
            assert s.mask.shape[1] - (x + w) <= 2
            assert s.mask.shape[0] - (y + h) <= 2


def test_layout_and_ground_truth_agree_with_masks(synthetic_world):
    root = synthetic_world
    names = _seq_names(root)
    assert names == [f'SYN_Train_{i:06d}' for i in range(1, 5)]
    for name in names:
        seq = osp.join(root, name)
        gt = np.loadtxt(osp.join(seq, 'groundtruth.txt'), delimiter=',')
        absence = np.loadtxt(osp.join(seq, 'absence.label'), dtype=int)
        cover = np.loadtxt(osp.join(seq, 'cover.label'), dtype=int)
        assert gt.shape == (12, 4) and absence.shape == cover.shape == (12, )
        assert cover[0] == 8 and absence[0] == 0
        assert osp.isfile(osp.join(seq, 'meta_info.ini'))
        for t in range(12):
            img = cv2.imread(osp.join(seq, f'{t + 1:08d}.jpg'))
            mask = cv2.imread(
                osp.join(seq, 'masks', f'{t + 1:08d}.png'),
                cv2.IMREAD_UNCHANGED)
            assert img.shape == (72, 96, 3)
            assert mask.shape == (72, 96) and mask.dtype == np.uint8
            assert set(np.unique(mask)) <= {0, 255}
            if absence[t]:
                assert cover[t] == 0
                assert not mask.any()
                np.testing.assert_array_equal(gt[t], 0)
            else:
                assert cover[t] > 0
                np.testing.assert_array_equal(gt[t], _tight_box(mask))


def test_written_files_equal_the_rendering(synthetic_world):
    gen = SyntheticWorldGenerator(img_size=(96, 72), num_frames=12, seed=3)
    plan = gen.plan_sequence(1)
    seq = osp.join(synthetic_world, gen.seq_name(1))
    for t in (0, 5, 11):
        frame, obj_map = gen.render_frame(plan, t)
        mask = cv2.imread(osp.join(seq, 'masks', f'{t + 1:08d}.png'), 0)
        expected = (obj_map == 1).astype(np.uint8) * 255
        if (obj_map == 1).sum() < gen.min_visible_px:
            expected[:] = 0
        np.testing.assert_array_equal(mask, expected)
        jpg = cv2.imread(osp.join(seq, f'{t + 1:08d}.jpg')).astype(float)
        # JPEG at quality 90 stays close to the rendered frame.
        assert np.abs(jpg - frame).mean() < 6


def test_coco_json_matches_the_target_masks(synthetic_world):
    with open(osp.join(synthetic_world, 'annotations', 'coco.json')) as f:
        coco = json.load(f)
    assert [c['name'] for c in coco['categories']] == list(CATEGORIES)
    assert len(coco['images']) == 4 * 12
    images = {img['id']: img for img in coco['images']}
    checked = 0
    for ann in coco['annotations']:
        assert ann['iscrowd'] == 0
        rle = dict(ann['segmentation'])
        decoded = mask_utils.decode(
            dict(size=rle['size'], counts=rle['counts'].encode()))
        assert ann['area'] == int(decoded.sum())
        np.testing.assert_array_equal(ann['bbox'], _tight_box(decoded))
        if ann['instance_id'].endswith('/1'):  # the target
            img = images[ann['image_id']]
            png = cv2.imread(
                osp.join(
                    synthetic_world,
                    img['file_name'].replace('/', '/masks/').replace(
                        '.jpg', '.png')), 0)
            np.testing.assert_array_equal(decoded * 255, png)
            checked += 1
    assert checked > 0


def test_mmdet_coco_dataset_reads_the_json(synthetic_world):
    from mmtao.utils import register_all_modules
    register_all_modules()
    from mmtao.registry import DATASETS
    ds = DATASETS.build(
        dict(
            type='SyntheticCocoDataset',
            data_root=synthetic_world,
            ann_file='annotations/coco.json',
            data_prefix=dict(img=''),
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
                dict(type='PackDetInputs')
            ]))
    assert len(ds) == 4 * 12
    sample = ds[0]
    gt = sample['data_samples'].gt_instances
    assert sample['inputs'].shape == (3, 72, 96)
    assert len(gt) >= 1
    assert gt.masks.masks.shape[1:] == (72, 96)
    # The boxes mmdet derives from the json equal the masks' tight boxes.
    for box, mask in zip(gt.bboxes.tensor.numpy(), gt.masks.masks):
        x, y, w, h = _tight_box(mask)
        np.testing.assert_allclose(box, [x, y, x + w, y + h])


def test_same_seed_is_byte_identical_and_workers_do_not_matter(
        tmp_path, synthetic_world):
    other = str(tmp_path / 'again')
    SyntheticWorldGenerator(
        img_size=(96, 72), num_frames=12, seed=3).generate(
            other, 4, num_workers=2)
    files = ['list.txt', 'annotations/coco.json']
    for name in _seq_names(synthetic_world):
        files += [
            f'{name}/{f}' for f in ('groundtruth.txt', 'absence.label',
                                    'cover.label', 'cut_by_image.label',
                                    'meta_info.ini', 'masks/00000007.png')
        ]
    for f in files:
        assert filecmp.cmp(
            osp.join(synthetic_world, f), osp.join(other, f), shallow=False), f
    different = str(tmp_path / 'seed4')
    SyntheticWorldGenerator(
        img_size=(96, 72), num_frames=12, seed=4).generate(different, 4)
    assert not filecmp.cmp(
        osp.join(synthetic_world, 'annotations/coco.json'),
        osp.join(different, 'annotations/coco.json'),
        shallow=False)


def test_world_has_occlusion_leaving_and_distractors(tmp_path):
    gen = SyntheticWorldGenerator(img_size=(64, 48), num_frames=40, seed=0)
    gen.generate(str(tmp_path), 24)
    covers, absences, labelled_per_image = [], [], []
    for name in _seq_names(str(tmp_path)):
        covers.append(np.loadtxt(tmp_path / name / 'cover.label', dtype=int))
        absences.append(
            np.loadtxt(tmp_path / name / 'absence.label', dtype=int))
    covers, absences = np.concatenate(covers), np.concatenate(absences)
    with open(tmp_path / 'annotations' / 'coco.json') as f:
        coco = json.load(f)
    counts = np.bincount([a['image_id'] for a in coco['annotations']])
    labelled_per_image = counts[1:]
    assert absences.sum() > 0, 'no frame with the target absent'
    assert ((covers > 0) & (covers < 8)).sum() > 0, 'no partial occlusion'
    assert (labelled_per_image >= 2).sum() > 0, 'no distractors'
    assert len({a['category_id'] for a in coco['annotations']}) >= 4


def test_generator_rejects_bad_arguments():
    with pytest.raises(ValueError, match='img_size'):
        SyntheticWorldGenerator(img_size=(16, 16))
    with pytest.raises(ValueError, match='num_frames'):
        SyntheticWorldGenerator(num_frames=0)
    with pytest.raises(ValueError, match='p_leave'):
        SyntheticWorldGenerator(p_leave=1.5)
    with pytest.raises(ValueError, match='num_videos'):
        SyntheticWorldGenerator().generate('/tmp/never_written', 0)


def test_command_line_contract(tmp_path):
    out = str(tmp_path / 'world')
    cmd = [
        sys.executable,
        osp.join(REPO, 'tools', 'misc',
                 'make_synthetic_world.py'), '--out', out, '--num-videos', '2',
        '--num-frames', '3', '--seed', '5', '--img-size', '64', '48'
    ]
    subprocess.run(cmd, check=True, cwd=REPO, capture_output=True)
    assert _seq_names(out) == ['SYN_Train_000001', 'SYN_Train_000002']
    seq = osp.join(out, 'SYN_Train_000002')
    assert sorted(os.listdir(osp.join(
        seq, 'masks'))) == ['00000001.png', '00000002.png', '00000003.png']
    for f in ('00000003.jpg', 'groundtruth.txt', 'absence.label',
              'cover.label'):
        assert osp.isfile(osp.join(seq, f))
    assert osp.isfile(osp.join(out, 'annotations', 'coco.json'))
