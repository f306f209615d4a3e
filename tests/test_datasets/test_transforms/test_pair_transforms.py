# Copyright (c) mmtao contributors. All rights reserved.
"""Pair sampling, joint augmentation and PackSOTPairInputs.

The fixture video shows a white asymmetric object (a right triangle plus a
tail, so a flip is visible) on a black background: after any augmentation,
including colour jitter, the object can be found again from the pixels by a
threshold. That pixel mask is the independent reference the ground-truth box
and mask of both frames are checked against.
"""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmdet.structures.mask import BitmapMasks
from mmengine.registry import init_default_scope

import mmtao.datasets.transforms.pair_loading  # noqa: F401
import mmtao.datasets.transforms.pair_transforms  # noqa: F401
from mmtao.datasets.transforms.pair_formatting import PackSOTPairInputs
from mmtao.datasets.transforms.pair_sampling import (ImagePairSampling,
                                                     SOTPairSampling)
from mmtao.registry import TRANSFORMS

H, W = 96, 128
OUT = 64


def _object_polygon(t: int) -> np.ndarray:
    """Asymmetric object outline at frame t (moves right and grows)."""
    x, y, s = 10 + 6 * t, 20 + 2 * t, 30 + 2 * t
    return np.array([[x, y], [x + s, y + s], [x, y + s], [x, y + s // 2],
                     [x - 6, y + s // 2 - 4]], dtype=np.int32)


def _write_video(root: str, n: int = 8) -> dict:
    """A GOT-10k-like video on disk and its train-mode item (xyxy boxes)."""
    img_paths, mask_paths, boxes = [], [], []
    for t in range(n):
        mask = np.zeros((H, W), np.uint8)
        cv2.fillPoly(mask, [_object_polygon(t)], 255)
        img = np.zeros((H, W, 3), np.uint8)
        img[mask > 0] = 255
        ip = osp.join(root, f'{t + 1:08d}.png')
        mp = osp.join(root, f'mask_{t + 1:08d}.png')
        cv2.imwrite(ip, img)
        cv2.imwrite(mp, mask)
        ys, xs = np.nonzero(mask)
        boxes.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
        img_paths.append(ip)
        mask_paths.append(mp)
    visible = np.ones(n, bool)
    visible[[2, 5]] = False  # absent frames must never be sampled
    return dict(
        img_paths=img_paths,
        mask_paths=mask_paths,
        bboxes=np.array(boxes, np.float32),
        visible=visible,
        frame_ids=np.arange(n),
        video_id=3)


@pytest.fixture(scope='module')
def video(tmp_path_factory) -> dict:
    return _write_video(str(tmp_path_factory.mktemp('pair_video')))


def _frame_pipeline(with_mask: bool = True, flip_prob: float = 0.5) -> list:
    return [
        dict(type='LoadImageFromFile'),
        dict(type='LoadPairAnnotations', with_mask=with_mask),
        dict(
            type='RandomResize',
            scale=(OUT, OUT),
            ratio_range=(0.7, 1.6),
            keep_ratio=True),
        dict(
            type='RandomCrop',
            crop_size=(OUT, OUT),
            recompute_bbox=with_mask,
            allow_negative_crop=False),
        dict(type='RandomFlip', prob=flip_prob),
        dict(type='PhotoMetricDistortion'),
    ]


def _build(sampler: dict, with_mask: bool = True, flip_prob: float = 0.5):
    init_default_scope('mmtao')
    from mmcv.transforms import Compose
    return Compose([
        sampler,
        dict(
            type='PairTransforms',
            transforms=_frame_pipeline(with_mask, flip_prob)),
        dict(type='PackSOTPairInputs'),
    ])


def _pixel_mask(img_chw: torch.Tensor) -> np.ndarray:
    """The white object found from the (colour-jittered) pixels."""
    gray = img_chw.float().mean(0).numpy()
    return gray > 80


def _tight_box(mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1],
                    np.float32)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def _assert_mask_on_object(mask: np.ndarray, pix: np.ndarray) -> None:
    """Mask and pixel object agree up to the 1-px resampling border: no
    more than 3 pixels of either lie outside the other dilated by 1 px (a
    flipped or shifted mask leaves dozens), and IoU > 0.5 (small objects at
    low scale lose much to the border; the video fixture measured 0.77-1.0).
    """
    kernel = np.ones((3, 3), np.uint8)

    def dilate(m):
        return cv2.dilate(m.astype(np.uint8), kernel).astype(bool)

    assert (mask & ~dilate(pix)).sum() <= 3, 'mask outside the object'
    assert (pix & ~dilate(mask)).sum() <= 3, 'object outside the mask'
    assert _iou(mask, pix) > 0.5


def test_sot_pair_sampling_visible_frames_within_range(video):
    sampler = SOTPairSampling(frame_range=2)
    np.random.seed(0)
    seen = set()
    for _ in range(300):
        out = sampler(dict(video))
        t, s = (f['frame_id'] for f in out['frames'])
        assert video['visible'][t] and video['visible'][s]
        assert 0 < abs(t - s) <= 2
        seen.add((t, s))
        for f in out['frames']:
            inst, = f['instances']
            np.testing.assert_array_equal(inst['bbox'],
                                          video['bboxes'][f['frame_id']])
            assert inst['bbox_label'] == 0
            assert inst['mask'] == video['mask_paths'][f['frame_id']]
            assert f['img_path'] == video['img_paths'][f['frame_id']]
        assert out['with_mask'] is True and out['video_id'] == 3
    # every admissible pair occurs (visible: 0 1 3 4 6 7)
    admissible = {(t, s)
                  for t in (0, 1, 3, 4, 6, 7) for s in (0, 1, 3, 4, 6, 7)
                  if 0 < abs(t - s) <= 2}
    assert seen == admissible


def test_sot_pair_sampling_edge_cases(video):
    # only one visible frame: template and search are that frame
    item = dict(video, visible=np.eye(8, dtype=bool)[4])
    out = SOTPairSampling(frame_range=3)(item)
    assert [f['frame_id'] for f in out['frames']] == [4, 4]
    # nothing visible: None, the dataset draws another video
    assert SOTPairSampling()(dict(video, visible=np.zeros(8, bool))) is None
    # box-only video (no mask_paths): no masks anywhere
    item = {k: v for k, v in video.items() if k != 'mask_paths'}
    out = SOTPairSampling()(item)
    assert out['with_mask'] is False
    assert all('mask' not in f['instances'][0] for f in out['frames'])
    # bad input is named
    with pytest.raises(KeyError, match='img_paths'):
        SOTPairSampling()({'bboxes': video['bboxes']})
    with pytest.raises(ValueError, match='7 frame paths but 8 boxes'):
        SOTPairSampling()(dict(video, img_paths=video['img_paths'][:7]))
    with pytest.raises(ValueError, match=r'shape \(N, 4\)'):
        SOTPairSampling()(dict(video, bboxes=video['bboxes'][:, :3]))
    with pytest.raises(ValueError, match='visible has 3 entries'):
        SOTPairSampling()(dict(video, visible=np.ones(3, bool)))


def _rle_masks(video: dict) -> list:
    """The fixture masks as COCO RLE dicts (how VOS datasets give them)."""
    from pycocotools import mask as mask_utils
    rles = []
    for path in video['mask_paths']:
        m = cv2.imread(path, cv2.IMREAD_GRAYSCALE) > 127
        rle = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
        rle['counts'] = rle['counts'].decode('ascii')
        rles.append(rle)
    return rles


@pytest.mark.parametrize('mask_source', ['png', 'rle'])
def test_pair_pipeline_keeps_boxes_and_masks_aligned(video, mask_source):
    """Scale/shift jitter, flip, colour: over many random draws the packed
    boxes and masks of both frames agree with the object's pixels."""
    pipeline = _build(dict(type='SOTPairSampling', frame_range=3))
    item = dict(video)
    if mask_source == 'rle':
        item['mask_paths'] = _rle_masks(video)
    np.random.seed(1)
    flips, scales, n = set(), set(), 0
    while n < 40:
        out = pipeline(dict(item))
        if out is None:  # object cropped away: resampled by the dataset
            continue
        n += 1
        inputs, ds = out['inputs'], out['data_samples']
        assert inputs.dtype == torch.uint8
        # no Pad: each frame keeps its real extent, the pair pads to the
        # larger of the two (zeros bottom / right)
        h, w = ds.img_shape
        th, tw = ds.template_img_shape
        assert max(h, th) <= OUT and max(w, tw) <= OUT
        assert inputs.shape == (2, 3, max(h, th), max(w, tw))
        assert inputs[1, :, h:].sum() == 0 and inputs[1, :, :, w:].sum() == 0
        # search frame: box == tight box of mask == tight box of pixels
        box = ds.gt_instances.bboxes
        assert box.shape == (1, 4) and box.dtype == torch.float32
        masks = ds.gt_instances.masks
        assert isinstance(masks, BitmapMasks) and masks.masks.shape == (1, h,
                                                                       w)
        gt_mask = masks.masks[0].astype(bool)
        pix = _pixel_mask(inputs[1])[:h, :w]
        _assert_mask_on_object(gt_mask, pix)
        np.testing.assert_allclose(box[0].numpy(), _tight_box(gt_mask),
                                   atol=1e-4)
        np.testing.assert_allclose(box[0].numpy(), _tight_box(pix), atol=2.5)
        # template frame: template_bbox == tight box of its pixels
        tb = ds.template_bbox
        assert tb.dtype == np.float32 and tb.shape == (4, )
        np.testing.assert_allclose(
            tb, _tight_box(_pixel_mask(inputs[0])[:th, :tw]), atol=2.5)
        assert ds.with_mask is True
        assert torch.equal(ds.gt_instances.labels, torch.zeros(1).long())
        flips.add(ds.flip)
        scales.add(round(float(ds.scale_factor[0]), 2))
    # the jitter really happened
    assert flips == {True, False}
    assert len(scales) > 5


def test_pair_pipeline_without_masks(video):
    item = {k: v for k, v in video.items() if k != 'mask_paths'}
    pipeline = _build(dict(type='SOTPairSampling'), with_mask=False)
    np.random.seed(2)
    out = None
    while out is None:
        out = pipeline(dict(item))
    ds = out['data_samples']
    assert ds.with_mask is False
    assert 'masks' not in ds.gt_instances
    h, w = ds.img_shape
    pix = _pixel_mask(out['inputs'][1])[:h, :w]
    # box-only: the box is clipped by the crop, so it contains the pixels
    box = ds.gt_instances.bboxes[0].numpy()
    tight = _tight_box(pix)
    assert (box[:2] <= tight[:2] + 2.5).all()
    assert (box[2:] >= tight[2:] - 2.5).all()


def test_coco_pseudo_pair(video):
    """One image, one chosen object, two independent augmentations."""
    poly = _object_polygon(1).astype(np.float64)
    x1, y1 = poly.min(0)
    x2, y2 = poly.max(0)
    small = [[60, 70, 62, 72]]  # too small to be chosen
    info = dict(
        img_path=video['img_paths'][1],
        img_id=7,
        instances=[
            dict(bbox=small[0], bbox_label=5, ignore_flag=0,
                 mask=[[60, 70, 62, 70, 62, 72]]),
            dict(bbox=[x1, y1, x2, y2], bbox_label=3, ignore_flag=1,
                 mask=[poly.reshape(-1).tolist()]),
            dict(bbox=[x1, y1, x2, y2], bbox_label=3, ignore_flag=0,
                 mask=[poly.reshape(-1).tolist()]),
        ])
    sampled = ImagePairSampling(min_size=8)(dict(info))
    for f in sampled['frames']:
        inst, = f['instances']
        assert inst['bbox_label'] == 0 and inst['bbox'] == [x1, y1, x2, y2]
        assert f['img_path'] == info['img_path']
    pipeline = _build(dict(type='ImagePairSampling', min_size=8))
    np.random.seed(3)
    differ = 0
    for _ in range(10):
        out = None
        while out is None:
            out = pipeline(dict(info))
        ds = out['data_samples']
        assert ds.img_path == ds.template_img_path == info['img_path']
        assert ds.img_id == 7
        h, w = ds.img_shape
        gt_mask = ds.gt_instances.masks.masks[0].astype(bool)
        _assert_mask_on_object(gt_mask, _pixel_mask(out['inputs'][1])[:h, :w])
        th, tw = ds.template_img_shape
        np.testing.assert_allclose(
            ds.template_bbox,
            _tight_box(_pixel_mask(out['inputs'][0])[:th, :tw]),
            atol=2.5)
        differ += not torch.equal(out['inputs'][0], out['inputs'][1])
    assert differ >= 8  # independent augmentation of the two frames
    # no usable object: None
    assert ImagePairSampling(min_size=8)(
        dict(info, instances=info['instances'][:2])) is None
    with pytest.raises(KeyError, match='instances'):
        ImagePairSampling()(dict(img_path='x.jpg'))


def test_shared_random_params_give_identical_frames(video):
    init_default_scope('mmtao')
    pair = TRANSFORMS.build(
        dict(
            type='PairTransforms',
            share_random_params=True,
            transforms=_frame_pipeline()))
    frame = SOTPairSampling()(dict(video))['frames'][0]
    np.random.seed(4)
    out = pair(dict(frames=[frame, frame], with_mask=True))
    a, b = out['frames']
    assert np.array_equal(a['img'], b['img'])
    assert a['flip'] == b['flip'] and a['scale'] == b['scale']


def test_pack_pads_to_common_size_and_rejects_bad_frames(video):
    init_default_scope('mmtao')
    load = TRANSFORMS.build(
        dict(
            type='PairTransforms',
            transforms=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadPairAnnotations'),
                dict(type='RandomResize', scale=(OUT, OUT),
                     ratio_range=(0.5, 1.0), keep_ratio=True),
            ]))
    np.random.seed(5)
    results = load(SOTPairSampling()(dict(video)))
    t, s = results['frames']
    t['img'] = t['img'][:30, :40]  # make the frames differ in size
    t['img_shape'] = (30, 40)
    packed = PackSOTPairInputs()(results)
    inputs = packed['inputs']
    hs, ws = s['img'].shape[:2]
    assert inputs.shape == (2, 3, max(30, hs), max(40, ws))
    # zero padding bottom / right, content untouched
    assert torch.equal(inputs[0, :, :30, :40],
                       torch.from_numpy(t['img']).permute(2, 0, 1))
    assert inputs[0, :, 30:, :].sum() == 0 and inputs[0, :, :, 40:].sum() == 0
    assert packed['data_samples'].pad_shape == tuple(inputs.shape[-2:])
    # a mask PNG of the wrong size is named
    bad = SOTPairSampling()(dict(video))
    bad['frames'][1]['instances'][0]['mask'] = video['mask_paths'][0].replace(
        'mask_', 'missing_')
    with pytest.raises(FileNotFoundError, match='missing_'):
        load(bad)
    wrong = osp.join(osp.dirname(video['mask_paths'][0]), 'wrong_size.png')
    cv2.imwrite(wrong, np.zeros((10, 10), np.uint8))
    bad = SOTPairSampling()(dict(video))
    bad['frames'][0]['instances'][0]['mask'] = wrong
    with pytest.raises(ValueError, match='wrong_size.png has shape'):
        load(bad)
    # a frame with two objects breaks the contract
    two = load(SOTPairSampling()(dict(video)))
    two['frames'][1]['gt_bboxes'] = two['frames'][1]['gt_bboxes'].cat(
        [two['frames'][1]['gt_bboxes']] * 2)
    two['frames'][1]['gt_ignore_flags'] = np.zeros(2, bool)
    with pytest.raises(ValueError, match='exactly one object box'):
        PackSOTPairInputs()(two)
    with pytest.raises(KeyError, match='frames'):
        PackSOTPairInputs()(dict(img=np.zeros((4, 4, 3))))


def test_sot_pair_sampling_whole_video(video):
    """frame_range=None: any two distinct visible frames, however far."""
    sampler = SOTPairSampling(frame_range=None)
    np.random.seed(6)
    seen = set()
    for _ in range(400):
        t, s = (f['frame_id'] for f in sampler(dict(video))['frames'])
        assert video['visible'][t] and video['visible'][s] and t != s
        seen.add((t, s))
    visible = (0, 1, 3, 4, 6, 7)
    assert seen == {(t, s) for t in visible for s in visible if t != s}
    # the farthest pair is out of reach of any smaller range
    assert (0, 7) in seen and 'frame_range=None' in repr(sampler)
    for bad in (-1, 2.5, True):
        with pytest.raises(ValueError, match='non-negative int or None'):
            SOTPairSampling(frame_range=bad)


def _flip_pairs(video, **pair_kwargs) -> list:
    """(template, search) flip states of 60 pairs through PairTransforms."""
    init_default_scope('mmtao')
    pair = TRANSFORMS.build(
        dict(
            type='PairTransforms',
            transforms=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadPairAnnotations'),
                dict(
                    type='RandomFlip',
                    prob=[0.3, 0.3],
                    direction=['horizontal', 'vertical']),
            ],
            **pair_kwargs))
    sampler = SOTPairSampling(frame_range=None)
    np.random.seed(7)
    states = []
    for _ in range(60):
        t, s = pair(sampler(dict(video)))['frames']
        states.append(((t['flip'], t['flip_direction']),
                       (s['flip'], s['flip_direction'])))
        # the boxes really follow each frame's own flip state
        for f in (t, s):
            src = video['bboxes'][f['frame_id']]
            box = f['gt_bboxes'].tensor[0].numpy()
            if f['flip_direction'] == 'horizontal':
                src = [W - src[2], src[1], W - src[0], src[3]]
            elif f['flip_direction'] == 'vertical':
                src = [src[0], H - src[3], src[2], H - src[1]]
            np.testing.assert_allclose(box, src, atol=1e-4)
    return states


def test_pair_shares_the_flip(video):
    """Both frames of a pair share flip and flip_direction (a tracked object
    is never mirrored between frames at test time); pairs differ."""
    states = _flip_pairs(video)
    assert all(t == s for t, s in states)
    assert {t for t, _ in states} == {(False, None), (True, 'horizontal'),
                                      (True, 'vertical')}
    # without sharing, the frames flip independently: mirrored pairs occur
    independent = _flip_pairs(video, shared_transforms=())
    assert sum(t != s for t, s in independent) > 10
    with pytest.raises(TypeError, match='shared_transforms'):
        TRANSFORMS.build(
            dict(
                type='PairTransforms',
                transforms=[dict(type='LoadImageFromFile')],
                shared_transforms='RandomFlip'))


def test_pack_refuses_padded_frames(video):
    """Pad overwrites img_shape with the padded size: refused, named."""
    pipeline = _build(dict(type='SOTPairSampling'))
    pipeline.transforms[1] = TRANSFORMS.build(
        dict(
            type='PairTransforms',
            transforms=_frame_pipeline() + [dict(type='Pad',
                                                 size=(OUT, OUT))]))
    np.random.seed(8)
    with pytest.raises(ValueError, match='went through Pad'):
        for _ in range(20):  # until a draw keeps the object
            pipeline(dict(video))
