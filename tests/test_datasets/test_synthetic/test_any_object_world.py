# Copyright (c) mmtao contributors. All rights reserved.
import filecmp
import json
import os.path as osp

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmtao.datasets.synthetic import (AnyObjectWorldGenerator, IdentityBank,
                                      PhotoBank, identities_of)
from mmtao.datasets.synthetic.identity_bank import SKIMAGE_PHOTOS

RESERVED = {'coffee', 'astronaut', 'coins', 'stereo_motorcycle'}


def _tight_box(mask):
    ys, xs = np.nonzero(mask)
    return xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min()


@pytest.fixture(scope='module')
def worlds(tmp_path_factory):
    """A tiny train world and an unseen-identity val world (skimage only)."""
    root = tmp_path_factory.mktemp('any_world')
    kw = dict(img_size=(128, 96), num_frames=10, num_identities=200)
    train = AnyObjectWorldGenerator(seed=0, split='train', **kw)
    val = AnyObjectWorldGenerator(seed=1, split='val', **kw)
    train.generate(str(root / 'train'), 6)
    val.generate(str(root / 'val'), 4)
    return train, val, str(root / 'train'), str(root / 'val')


def test_photo_pools_are_split_by_file_and_skip_reserved_photos():
    train, val = PhotoBank('train'), PhotoBank('val')
    assert not set(train.names) & set(val.names)
    used = {n.split(':', 1)[1] for n in train.names + val.names}
    assert not used & RESERVED
    assert set(SKIMAGE_PHOTOS['train']).isdisjoint(SKIMAGE_PHOTOS['val'])
    with pytest.raises(ValueError, match='photo split'):
        PhotoBank('test')
    with pytest.raises(FileNotFoundError, match='prepare_world_photos'):
        PhotoBank('train', photo_root='/nonexistent/world')


def test_identities_are_deterministic_distinct_and_exactly_masked():
    bank = IdentityBank(PhotoBank('val'), seed=0)
    other = IdentityBank(PhotoBank('val'), seed=0)
    digests = set()
    for i in range(12):
        s = bank.identity(i)
        t = other._build(i, 0)  # rebuilt without the cache
        np.testing.assert_array_equal(s.img, t.img)
        np.testing.assert_array_equal(s.mask, t.mask)
        assert s.img.shape[:2] == s.mask.shape
        assert set(np.unique(s.mask)) <= {0, 255}
        assert s.area == int((s.mask > 0).sum()) > 0
        digests.add(hash(s.img.tobytes() + s.mask.tobytes()))
    assert len(digests) == 12  # 12 indices, 12 different objects
    # a near-copy: same photo, other pixels
    sib = bank.sibling(3, np.random.default_rng(0))
    assert sib.name.startswith('val_00003_')
    assert sib.img.tobytes() != bank.identity(3).img.tobytes()


def test_train_and_val_worlds_share_no_identity_and_no_photo(worlds):
    train, val, train_dir, val_dir = worlds
    train_ids, val_ids = identities_of(train_dir), identities_of(val_dir)
    assert train_ids and val_ids
    assert all(n.startswith('train_') for n in train_ids)
    assert all(n.startswith('val_') for n in val_ids)
    train_src = {train.bank.source(int(n.split('_')[1])) for n in train_ids}
    val_src = {val.bank.source(int(n.split('_')[1])) for n in val_ids}
    assert not train_src & val_src


def test_ground_truth_is_the_rendered_mask(worlds):
    _, val, _, val_dir = worlds
    for idx in range(4):
        seq = osp.join(val_dir, val.seq_name(idx))
        plan = val.plan_sequence(idx)
        gt = np.loadtxt(osp.join(seq, 'groundtruth.txt'), delimiter=',')
        absence = np.loadtxt(osp.join(seq, 'absence.label'), dtype=int)
        assert absence[0] == 0
        for t in (0, 4, 9):
            _, obj_map = val.render_frame(plan, t)
            png = cv2.imread(osp.join(seq, 'masks', f'{t + 1:08d}.png'), 0)
            expected = (obj_map == 1).astype(np.uint8) * 255
            if (obj_map == 1).sum() < val.min_visible_px:
                expected[:] = 0
            np.testing.assert_array_equal(png, expected)
            if absence[t]:
                np.testing.assert_array_equal(gt[t], 0)
            else:
                np.testing.assert_array_equal(gt[t], _tight_box(png))


def test_coco_json_has_one_object_class_and_exact_masks(worlds):
    _, _, train_dir, _ = worlds
    with open(osp.join(train_dir, 'annotations', 'coco.json')) as f:
        coco = json.load(f)
    assert coco['categories'] == [
        dict(id=1, name='object', supercategory='object')
    ]
    assert coco['annotations']
    for ann in coco['annotations']:
        assert ann['category_id'] == 1
        rle = dict(ann['segmentation'])
        m = mask_utils.decode(dict(size=rle['size'],
                                   counts=rle['counts'].encode()))
        assert ann['area'] == int(m.sum())
        np.testing.assert_array_equal(ann['bbox'], _tight_box(m))
    from mmtao.utils import register_all_modules
    register_all_modules()
    from mmtao.registry import DATASETS
    ds = DATASETS.build(
        dict(
            type='SyntheticCocoDataset',
            data_root=train_dir,
            ann_file='annotations/coco.json',
            data_prefix=dict(img=''),
            metainfo=dict(classes=('object', )),
            pipeline=[]))
    labels = {int(i['bbox_label']) for d in ds for i in d['instances']}
    assert labels == {0}


def test_same_seed_same_annotations_whatever_the_workers(tmp_path):
    kw = dict(img_size=(96, 72), num_frames=6, num_identities=50, seed=7)
    AnyObjectWorldGenerator(**kw).generate(str(tmp_path / 'a'), 3)
    AnyObjectWorldGenerator(**kw).generate(
        str(tmp_path / 'b'), 3, num_workers=2)
    AnyObjectWorldGenerator(**dict(kw, seed=8)).generate(
        str(tmp_path / 'c'), 3)
    for rel in ('annotations/coco.json', 'annotations/identities.json',
                'SYN_Train_000002/groundtruth.txt'):
        assert filecmp.cmp(
            tmp_path / 'a' / rel, tmp_path / 'b' / rel, shallow=False)
    assert not filecmp.cmp(
        tmp_path / 'a' / 'annotations/coco.json',
        tmp_path / 'c' / 'annotations/coco.json',
        shallow=False)


def test_hard_cases_are_drawn(tmp_path):
    gen = AnyObjectWorldGenerator(
        img_size=(128, 96), num_frames=30, seed=0, num_identities=100)
    sizes, spins, holders, absent, distractors = [], 0, 0, 0, 0
    for i in range(12):
        plan = gen.plan_sequence(i)
        target = next(o for o in plan.objects if o.obj_id == 1)
        sizes.append(target.size[0] / 96)
        spins += int(np.ptp(target.angle) > 90)
        holders += int(any(o.z in (1.5, -0.5) for o in plan.objects))
        distractors += int(sum(o.z in (-1.0, 1.0) for o in plan.objects) >= 2)
        absent += int(any((gen.render_frame(plan, t)[1] == 1).sum() < 20
                          for t in range(0, 30, 5)))
    assert min(sizes) < 0.15 and max(sizes) > 0.3
    assert spins and holders and absent and distractors


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match='num_identities'):
        AnyObjectWorldGenerator(num_identities=0)
    with pytest.raises(ValueError, match='min_size_frac'):
        AnyObjectWorldGenerator(min_size_frac=0.5, max_size_frac=0.2)


def test_extending_a_world_equals_a_fresh_run(tmp_path):
    kw = dict(img_size=(96, 72), num_frames=5, num_identities=50, seed=3)
    AnyObjectWorldGenerator(**kw).generate(str(tmp_path / 'fresh'), 3)
    AnyObjectWorldGenerator(**kw).generate(str(tmp_path / 'grown'), 2)
    AnyObjectWorldGenerator(**kw).generate(
        str(tmp_path / 'grown'), 3, extend=True)
    for rel in ('list.txt', 'annotations/coco.json',
                'annotations/identities.json',
                'SYN_Train_000003/groundtruth.txt'):
        assert filecmp.cmp(
            tmp_path / 'fresh' / rel, tmp_path / 'grown' / rel, shallow=False)
    with pytest.raises(ValueError, match='another world'):
        AnyObjectWorldGenerator(**dict(kw, seed=4)).generate(
            str(tmp_path / 'grown'), 4, extend=True)


def test_command_line_any_world(tmp_path):
    import subprocess
    import sys
    repo = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))))
    out = tmp_path / 'w'
    subprocess.run([
        sys.executable,
        osp.join(repo, 'tools', 'misc', 'make_synthetic_world.py'), '--world',
        'any', '--out',
        str(out), '--num-videos', '2', '--num-frames', '3', '--img-size',
        '96', '72', '--split', 'val'
    ],
                   check=True,
                   cwd=repo,
                   capture_output=True)
    with open(out / 'annotations' / 'coco.json') as f:
        assert [c['name'] for c in json.load(f)['categories']] == ['object']
    assert all(n.startswith('val_') for n in identities_of(str(out)))
