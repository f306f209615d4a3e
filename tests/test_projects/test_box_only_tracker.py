# Copyright (c) mmtao contributors. All rights reserved.
"""projects/BoxOnlyTracker: the tracker on mmdet's Faster R-CNN, no masks.

References are independent of the project's configs: mmdet's own
``FasterRCNN`` (built from mmdet's faster-rcnn base config) for detection,
the paper's Mask R-CNN tracker (configs/_base_/models) with the same shared
weights for tracking boxes, and mmdet's ``bbox_overlaps`` for the GOT-10k
numbers.
"""
import copy
import functools
import os.path as osp

import mmdet
import numpy as np
import pytest
import torch
from mmdet.models.detectors import FasterRCNN
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmdet.structures.bbox import bbox_overlaps
from mmengine import DefaultScope
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import Runner
from mmengine.runner.checkpoint import load_checkpoint
from mmengine.structures import InstanceData

from mmtao.models.detectors import JointSOTDetector
from mmtao.registry import METRICS, MODELS
from mmtao.utils import register_all_modules

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PROJECT = osp.join(REPO, 'projects/BoxOnlyTracker/configs')
MODEL_CFG = osp.join(PROJECT, 'box-only-tracker_r50-fpn.py')
GOT10K_CFG = osp.join(PROJECT, 'box-only-tracker_r50-fpn_got10k.py')
OXUVA_CFG = osp.join(PROJECT, 'box-only-tracker_r50-fpn_oxuva.py')
TRAIN_CFG = osp.join(PROJECT, 'box-only-tracker_r50-fpn_coco-vid-ytvos.py')
PAPER_TRAIN = osp.join(REPO, 'configs/tao/tao_r50-fpn_coco-vid-ytvos.py')
TAO_MODEL = osp.join(REPO, 'configs/_base_/models/tao_mask-rcnn_r50_fpn.py')
MMDET_CONFIGS = osp.join(osp.dirname(mmdet.__file__), '.mim/configs')
FASTER_RCNN = osp.join(MMDET_CONFIGS, '_base_/models/faster-rcnn_r50_fpn.py')
FASTER_RCNN_URL = (
    'https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/'
    'faster_rcnn_r50_fpn_1x_coco/faster_rcnn_r50_fpn_1x_coco_20200130-'
    '047c8118.pth')
TRACK_KEYS = {
    'roi_head.bbox_head.fc_cls_track.weight',
    'roi_head.bbox_head.fc_cls_track.bias',
    'roi_head.bbox_head.fc_reg_track.weight',
    'roi_head.bbox_head.fc_reg_track.bias',
}
C = 16  # FPN channels of the tiny models


def tiny(model_cfg, num_classes=3):
    """ResNet-18 at 8 base channels, 16-channel FPN, 32-d fcs (in place);
    the pattern of tests/data/configs/tiny_tao.py. Works on Faster and
    Mask R-CNN configs, with or without the template attention neck."""
    m = model_cfg
    m.backbone.update(
        depth=18,
        base_channels=8,
        norm_eval=False,
        frozen_stages=-1,
        init_cfg=None)
    fpn = m.neck.neck if m.neck.type == 'TemplateAttentionNeck' else m.neck
    fpn.update(in_channels=[8, 16, 32, 64], out_channels=C)
    m.rpn_head.update(in_channels=C, feat_channels=C)
    rh = m.roi_head
    rh.bbox_roi_extractor.out_channels = C
    rh.bbox_head.update(
        in_channels=C, fc_out_channels=32, num_classes=num_classes)
    if rh.get('mask_head') is not None:
        rh.mask_roi_extractor.out_channels = C
        rh.mask_head.update(
            in_channels=C,
            conv_out_channels=C,
            num_convs=1,
            num_classes=num_classes)
    if 'template_head' in m:
        m.template_head.num_negatives = 32
    return m


@functools.lru_cache()
def _fromfile(path):
    return Config.fromfile(path)


def load_cfg(path):
    """A config as ``Config.fromfile`` gives it (parsed once per path:
    resolving ``mmdet::`` bases is slow)."""
    return copy.deepcopy(_fromfile(path))


def load_model_cfg(path):
    return load_cfg(path).model


def build(model_cfg, seed=0):
    """Build + init_weights in mmtao's scope (mmdet's types resolve)."""
    register_all_modules(init_default_scope=False)
    torch.manual_seed(seed)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel('WARNING')  # init_weights logs every parameter
    try:
        with DefaultScope.overwrite_default_scope('mmtao'):
            model = MODELS.build(model_cfg)
            model.init_weights()
    finally:
        logger.setLevel(level)
    return model.eval()


def scene(h=96, w=128, seed=0):
    """A uint8 BGR image with two textured rectangles on noise."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 50, (3, h, w)).astype(np.uint8)
    img[:, 20:60, 15:55] = rng.integers(150, 255, (3, 40, 40))
    img[:, 30:80, 70:110] = rng.integers(80, 140, (3, 50, 40))
    return torch.from_numpy(img)


def det_sample(h=96, w=128, scale=0.5):
    return DetDataSample(
        metainfo=dict(
            img_shape=(h, w),
            ori_shape=(round(h / scale), round(w / scale)),
            scale_factor=(scale, scale)))


def preprocess(model, imgs, samples):
    return model.data_preprocessor(
        dict(inputs=imgs, data_samples=samples), False)


def flat(d, prefix=''):
    """Nested dicts to {dotted key: value}."""
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(flat(v, f'{prefix}{k}.'))
        else:
            out[f'{prefix}{k}'] = v
    return out


def strip(d, *keys):
    """A copy of nested dicts / lists without ``keys`` at any depth."""
    if isinstance(d, dict):
        return {k: strip(v, *keys) for k, v in d.items() if k not in keys}
    if isinstance(d, (list, tuple)):
        return type(d)(strip(v, *keys) for v in d)
    return d


def diff(a, b):
    """Dotted keys whose values differ (registry scopes aside)."""
    fa, fb = flat(a.to_dict()), flat(b.to_dict())
    return {
        k
        for k in fa.keys() | fb.keys()
        if fa.get(k) != fb.get(k) and not k.endswith('_scope_')
    }


@pytest.fixture(scope='module', autouse=True)
def one_thread():
    """Tiny models: torch's intra-op threads only contend on a shared
    2-core machine (measured 40x slower training steps with 2 threads)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def weights():
    """One random tiny mmdet FasterRCNN and its state dict."""
    ref = build(tiny(load_cfg(FASTER_RCNN).model), seed=1)
    return ref, copy.deepcopy(ref.state_dict())


def test_configs_build_without_mask_head():
    cfgs = {
        p: load_cfg(p)
        for p in (MODEL_CFG, GOT10K_CFG, OXUVA_CFG, TRAIN_CFG)
    }
    for path, cfg in cfgs.items():
        assert cfg.load_from == FASTER_RCNN_URL, path
        assert cfg.default_scope == 'mmtao'
        assert cfg.custom_imports.imports == ['mmtao']
        roi_head_keys = set(cfg.model.roi_head)
        assert roi_head_keys == {'type', 'bbox_roi_extractor', 'bbox_head'}
        assert 'mask_thr_binary' not in cfg.model.test_cfg.track.rcnn
    model_cfg = cfgs[MODEL_CFG].model
    # mmdet's Faster R-CNN with the tracker's components and nothing else
    ref = load_cfg(FASTER_RCNN).model
    tracker_keys = {
        k
        for k in flat(model_cfg.to_dict())
        if k.startswith(('neck.', 'template_head.', 'test_cfg.track.',
                         'test_cfg.temporal', 'train_cfg.det_loss_weight',
                         'train_cfg.track_loss_weight'))
    }
    # the FPN moved under neck.neck (compared below)
    fpn_keys = {k for k in flat(ref.to_dict()) if k.startswith('neck.')}
    assert diff(model_cfg, ref) - tracker_keys - fpn_keys == {
        'type',
        'data_preprocessor.type',
        'rpn_head.type',  # TrackingRPNHead: mmdet's RPNHead + tracking path
        'roi_head.type',
        'roi_head.bbox_head.type',
        # init_cfg=None: the weights come from load_from
        'backbone.init_cfg.type',
        'backbone.init_cfg.checkpoint'
    }
    assert model_cfg.neck.neck.to_dict() == ref.neck.to_dict()
    # the tracker settings are the paper model's, minus the mask options
    tao = load_cfg(TAO_MODEL).model
    assert model_cfg.template_head.to_dict() == tao.template_head.to_dict()
    assert model_cfg.neck.normalize == tao.neck.normalize
    tao_track = tao.test_cfg.track.to_dict()
    tao_track['rcnn'].pop('mask_thr_binary')
    assert model_cfg.test_cfg.track.to_dict() == tao_track
    # the test configs reuse the dataset bases, adding the smoother only
    for path, dataset in ((GOT10K_CFG, 'got10k'), (OXUVA_CFG, 'oxuva')):
        base = load_cfg(
            osp.join(REPO, f'configs/_base_/datasets/{dataset}.py'))
        for key in ('test_dataloader', 'test_evaluator', 'test_cfg'):
            assert cfgs[path][key].to_dict() == base[key].to_dict(), key
        assert diff(cfgs[path].model, model_cfg) == {
            'test_cfg.temporal.type', 'test_cfg.temporal.alpha',
            'test_cfg.temporal.low_iou', 'test_cfg.temporal.recover_iou',
            'test_cfg.temporal.recover_frames'
        }
        assert cfgs[path].model.test_cfg.temporal.to_dict() == \
            load_cfg(osp.join(
                REPO, f'configs/tao/tao_r50-fpn_{dataset}.py')
            ).model.test_cfg.temporal.to_dict()

    # the full-size model builds (weights random, nothing downloaded)...
    with DefaultScope.overwrite_default_scope('mmtao'):
        full = MODELS.build(model_cfg)
    assert isinstance(full, JointSOTDetector)
    assert not full.with_mask and not hasattr(full.roi_head, 'mask_head')
    # ...and has exactly the Faster R-CNN R50-FPN parameters plus the
    # tracking layers (fc_cls_track: 1024 x 2 + 2, fc_reg_track: 1024 x 4 + 4)
    ref_cfg = copy.deepcopy(ref)
    ref_cfg.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmdet'):
        faster = MODELS.build(ref_cfg)
    assert type(faster) is FasterRCNN
    num = sum(p.numel() for p in full.parameters())
    num_ref = sum(p.numel() for p in faster.parameters())
    assert num - num_ref == 1024 * 2 + 2 + 1024 * 4 + 4


def test_detection_mode_equals_mmdet_faster_rcnn(weights, tmp_path):
    ref, state = weights
    ckpt = tmp_path / 'faster_rcnn.pth'
    torch.save(dict(state_dict=state, meta=dict()), ckpt)
    model = build(tiny(load_model_cfg(MODEL_CFG)), seed=3)
    assert isinstance(model, JointSOTDetector) and not model.with_mask
    # every mmdet key is consumed; only the tracking layers are new
    result = model.load_state_dict(state, strict=False)
    assert result.unexpected_keys == []
    assert set(result.missing_keys) == TRACK_KEYS
    # the Runner's load_from path (mmengine's load_checkpoint) agrees
    model = build(tiny(load_model_cfg(MODEL_CFG)), seed=4)
    load_checkpoint(model, str(ckpt), map_location='cpu', strict=False)
    ours = model.state_dict()
    assert len(ours) == len(state) + len(TRACK_KEYS)
    for key, value in state.items():
        ours_key = key.replace('neck.', 'neck.neck.', 1) \
            if key.startswith('neck.') else key
        torch.testing.assert_close(ours[ours_key], value, rtol=0, atol=0)

    # a very low threshold so that random weights give many detections
    for m in (model, ref):
        m.roi_head.test_cfg.score_thr = 0.0
    imgs = [scene(), scene(seed=1)]
    samples = [det_sample(), det_sample()]
    with torch.no_grad():
        outs = model.test_step(
            dict(inputs=imgs, data_samples=copy.deepcopy(samples)))
        refs = ref.test_step(
            dict(inputs=imgs, data_samples=copy.deepcopy(samples)))
    for a, b in zip(outs, refs):
        pa, pb = a.pred_instances, b.pred_instances
        assert len(pb) > 10 and len(pa) == len(pb)
        assert 'masks' not in pa
        torch.testing.assert_close(pa.bboxes, pb.bboxes, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(pa.scores, pb.scores, rtol=1e-5, atol=1e-5)
        assert torch.equal(pa.labels, pb.labels)
        # original coordinates (scale_factor 0.5)
        assert float(pa.bboxes[:, 2].max()) > 128


def test_init_track_give_boxes_and_scores_without_masks(weights):
    _, state = weights
    model = build(tiny(load_model_cfg(MODEL_CFG)), seed=5)
    model.load_state_dict(state, strict=False)
    # reference: the paper's Mask R-CNN tracker with the same shared weights
    # (its mask head random): dropping the mask branch changes no box
    masked = build(tiny(load_model_cfg(TAO_MODEL)), seed=6)
    result = masked.load_state_dict(model.state_dict(), strict=False)
    assert result.unexpected_keys == []
    assert all('mask' in k for k in result.missing_keys)

    data = preprocess(model, [scene(), scene(seed=1)],
                      [det_sample(), det_sample()])
    meta = data['data_samples'][1].metainfo
    first, second = data['inputs'][:1], data['inputs'][1:]
    boxes = torch.tensor([[15., 20., 55., 60.], [70., 30., 110., 80.]])
    templates = model.init(first, boxes)
    torch.testing.assert_close(templates, masked.init(first, boxes))
    assert templates.shape == (2, C)
    cands = model.track(second, meta)
    cands_ori = model.track(second, meta, rescale=True)
    ref = masked.track(second, meta)
    assert len(cands) == len(ref) == 2
    for k in range(2):
        c = cands[k]
        assert set(c.keys()) == {'bboxes', 'scores', 'labels'}
        k_cands = model.test_cfg.track.rcnn.max_per_img
        assert c.bboxes.shape == (k_cands, 4)
        assert c.scores.shape == (k_cands, )
        assert torch.all(c.labels == 0)
        assert torch.all(c.scores[:-1] >= c.scores[1:])
        torch.testing.assert_close(c.bboxes, ref[k].bboxes)
        torch.testing.assert_close(c.scores, ref[k].scores)
        assert 'masks' in ref[k]
        torch.testing.assert_close(cands_ori[k].bboxes, c.bboxes * 2)


def sot_sample(frame_id, gt_ori, video_length=3):
    """A contract §1 test sample: 96x128 input of a 192x256 frame."""
    sample = det_sample()
    gt_ori = np.asarray(gt_ori, np.float32)
    sample.set_metainfo(
        dict(
            img_path=f'seq/{frame_id + 1:08d}.jpg',
            frame_id=frame_id,
            video_id=0,
            video_length=video_length,
            seq_name='seq',
            gt_bbox_ori=gt_ori,
            visible=True))
    sample.gt_instances = InstanceData(
        bboxes=torch.from_numpy(gt_ori[None] * 0.5),
        labels=torch.zeros(1, dtype=torch.long))
    return sample


def test_sot_predict_feeds_got10k_metric(weights, tmp_path):
    _, state = weights
    cfg = load_cfg(GOT10K_CFG)
    model = build(tiny(copy.deepcopy(cfg.model)), seed=7)
    model.load_state_dict(state, strict=False)
    assert model.test_cfg.temporal.type == 'TemporalSmoother'
    gts = np.array([[30., 40., 110., 120.], [34., 44., 114., 124.],
                    [40., 50., 120., 130.]], np.float32)
    seeds = [0, 0, 1]
    metric = METRICS.build(
        dict(cfg.test_evaluator, outfile_prefix=str(tmp_path)))
    preds, inputs = [], []
    for frame_id, (gt, seed) in enumerate(zip(gts, seeds)):
        data = preprocess(model, [scene(seed=seed)],
                          [sot_sample(frame_id, gt)])
        inputs.append(data)
        with torch.no_grad():
            out = model.test_step(
                dict(
                    inputs=[scene(seed=seed)],
                    data_samples=[sot_sample(frame_id, gt)]))
        metric.process({}, out)
        pred = out[0].pred_track_instances
        assert set(pred.keys()) == {'bboxes', 'scores'}
        assert pred.bboxes.shape == (1, 4) and pred.scores.shape == (1, )
        preds.append(pred)
    # frame 0: the init box in original coordinates, score 1
    torch.testing.assert_close(preds[0].bboxes, torch.from_numpy(gts[:1]))
    torch.testing.assert_close(preds[0].scores, torch.ones(1))
    # later frames: a TemporalSmoother replayed by hand on track()'s
    # candidates (box IoU, as there are no masks) picks the same box
    smoother = MODELS.build(cfg.model.test_cfg.temporal)
    smoother.reset(torch.from_numpy(gts[0]), None)
    model.init(inputs[0]['inputs'],
               inputs[0]['data_samples'][0].gt_instances.bboxes,
               inputs[0]['data_samples'][0].metainfo)
    for data, pred in zip(inputs[1:], preds[1:]):
        cands = model.track(
            data['inputs'], data['data_samples'][0].metainfo, rescale=True)[0]
        idx, _ = smoother.select(cands.bboxes, cands.scores, None)
        torch.testing.assert_close(pred.bboxes, cands.bboxes[idx][None])
        # presence: the chosen candidate's detector confidence (selection
        # used the re-scored values)
        torch.testing.assert_close(pred.scores, cands.scores[idx][None])

    # GOT10kMetric takes the outputs: AO = mean IoU over frames 1-2 with
    # the boxes clipped to the 256x192 frame (mmdet's bbox_overlaps)
    res = metric.evaluate(size=3)
    pred_boxes = torch.cat([p.bboxes for p in preds[1:]])
    pred_boxes[:, 0::2] = pred_boxes[:, 0::2].clamp(0, 256)
    pred_boxes[:, 1::2] = pred_boxes[:, 1::2].clamp(0, 192)
    ious = bbox_overlaps(
        pred_boxes, torch.from_numpy(gts[1:]), is_aligned=True).numpy()
    assert res['got10k/AO'] == pytest.approx(ious.mean(), abs=1e-6)
    assert res['got10k/SR0.5'] == pytest.approx((ious > 0.5).mean())
    written = np.loadtxt(tmp_path / 'seq' / 'seq_001.txt', delimiter=',')
    boxes = torch.cat([p.bboxes for p in preds]).numpy()
    np.testing.assert_allclose(
        written,
        np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], 1),
        atol=1e-3)


def test_training_config_is_the_paper_recipe_without_masks(tmp_path):
    cfg = load_cfg(TRAIN_CFG)
    paper = load_cfg(PAPER_TRAIN)
    assert cfg.model.to_dict() == load_model_cfg(MODEL_CFG).to_dict()
    # the paper's data, schedule and sampler; every mask load switched off
    changed = diff(
        Config(dict(d=cfg.train_dataloader)),
        Config(dict(d=paper.train_dataloader)))
    assert changed == {'d.dataset.datasets'}  # lists of dicts: see below
    for ours, theirs in zip(cfg.train_dataloader.dataset.datasets,
                            paper.train_dataloader.dataset.datasets):
        ours, theirs = ours.to_dict(), theirs.to_dict()
        if ours['pipeline'][-1]['type'] == 'PackDetInputs':
            # mmdet's COCO Faster R-CNN training set, exactly
            mmdet_det = load_cfg(
                osp.join(MMDET_CONFIGS, 'faster_rcnn',
                         'faster-rcnn_r50_fpn_1x_coco.py'))
            ref = mmdet_det.train_dataloader.dataset.to_dict()
            # backend_args=None (local files) is the default anyway
            ref = strip(ref, 'backend_args', '_scope_')
            assert strip(ours, 'backend_args') == ref
            theirs['pipeline'][1].pop('with_mask')
        else:
            assert ours['pipeline'][1]['transforms'][1].pop('with_mask') \
                is False
            theirs['pipeline'][1]['transforms'][1].pop('with_mask')
            # the pair sampler must not announce masks the loader drops
            # (YouTube-VOS has them: PackSOTPairInputs would refuse the pair)
            assert ours['pipeline'][0].pop('with_mask') is False
        assert ours == theirs
    for key in ('train_cfg', 'optim_wrapper', 'param_scheduler',
                'default_hooks', 'log_processor'):
        assert not diff(Config({key: cfg[key]}), Config({key: paper[key]}))
    assert cfg.val_evaluator.metric == 'bbox'
    # mmengine's Runner takes it (its loops, dataloaders and evaluators
    # must be consistent; datasets and load_from are read only in train())
    cfg.work_dir = str(tmp_path)
    cfg.model.backbone.init_cfg = None
    runner = Runner.from_cfg(cfg)
    assert isinstance(runner.model, JointSOTDetector)
    assert not runner.model.with_mask


def test_joint_loss_trains_boxes_only(weights):
    _, state = weights
    model = build(tiny(load_model_cfg(MODEL_CFG)), seed=8)
    model.load_state_dict(state, strict=False)
    model.train()
    det = DetDataSample(
        metainfo=dict(
            img_shape=(96, 128), ori_shape=(96, 128), scale_factor=(1., 1.)))
    det.gt_instances = InstanceData(
        bboxes=torch.tensor([[15., 20., 55., 60.]]), labels=torch.tensor([2]))
    # a pair with a mask (YouTube-VOS): the mask is simply not used
    template = scene()
    search = torch.roll(template, shifts=(6, 6), dims=(1, 2))
    pair = DetDataSample(
        metainfo=dict(
            img_shape=(96, 128),
            ori_shape=(96, 128),
            scale_factor=(1., 1.),
            template_bbox=np.array([15., 20., 55., 60.], np.float32),
            with_mask=True))
    mask = np.zeros((1, 96, 128), np.uint8)
    mask[0, 26:66, 21:61] = 1
    pair.gt_instances = InstanceData(
        bboxes=torch.tensor([[21., 26., 61., 66.]]),
        labels=torch.zeros(1, dtype=torch.long),
        masks=BitmapMasks(mask, 96, 128))
    data = model.data_preprocessor(
        dict(
            inputs=[scene(seed=1),
                    torch.stack([template, search])],
            data_samples=[det, pair]), True)
    losses = model.loss(data['inputs'], data['data_samples'])
    terms = ('loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox')
    expected = {f'{p}_{t}' for p in ('det', 'track') for t in terms}
    assert {k for k in losses if 'loss' in k} == expected
    loss, _ = model.parse_losses(losses)
    loss.backward()
    head = model.roi_head.bbox_head
    assert head.fc_cls_track.weight.grad.abs().sum() > 0
    assert head.fc_cls.weight.grad.abs().sum() > 0
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
