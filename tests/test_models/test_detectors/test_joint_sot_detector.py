# Copyright (c) mmtao contributors. All rights reserved.
import copy

import numpy as np
import pytest
import torch
from mmdet.models.detectors import MaskRCNN
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.runner.checkpoint import load_checkpoint
from mmengine.structures import InstanceData

from mmtao.models.detectors import JointSOTDetector
from mmtao.registry import MODELS

TRACK_KEYS = {
    'roi_head.bbox_head.fc_cls_track.weight',
    'roi_head.bbox_head.fc_cls_track.bias',
    'roi_head.bbox_head.fc_reg_track.weight',
    'roi_head.bbox_head.fc_reg_track.bias',
    'roi_head.mask_head.conv_logits_track.weight',
    'roi_head.mask_head.conv_logits_track.bias',
}


def scene(h=96, w=128, seed=0):
    """A uint8 BGR image with two textured rectangles on noise."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 50, (3, h, w)).astype(np.uint8)
    img[:, 20:60, 15:55] = rng.integers(150, 255, (3, 40, 40))
    img[:, 30:80, 70:110] = rng.integers(80, 140, (3, 50, 40))
    return torch.from_numpy(img)


def det_sample(h, w, scale=1.0):
    return DetDataSample(
        metainfo=dict(
            img_shape=(h, w),
            ori_shape=(round(h / scale), round(w / scale)),
            scale_factor=(scale, scale)))


def preprocess(model, imgs, samples):
    return model.data_preprocessor(
        dict(inputs=imgs, data_samples=samples), False)


def test_detection_mode_equals_mmdet_mask_rcnn_from_one_checkpoint(
        tiny_tao_cfg, tiny_mmdet_cfg, build_model, tmp_path):
    mmdet_model = build_model(tiny_mmdet_cfg, seed=1)
    assert type(mmdet_model) is MaskRCNN
    ckpt = tmp_path / 'mask_rcnn.pth'
    torch.save(dict(state_dict=mmdet_model.state_dict(), meta=dict()), ckpt)

    model = build_model(tiny_tao_cfg, seed=2)
    assert isinstance(model, JointSOTDetector)
    # every mmdet key is consumed; only the tracking layers are new
    result = model.load_state_dict(mmdet_model.state_dict(), strict=False)
    assert result.unexpected_keys == []
    assert set(result.missing_keys) == TRACK_KEYS
    # the Runner's load_from path (mmengine.load_checkpoint) agrees
    model = build_model(tiny_tao_cfg, seed=3)
    load_checkpoint(model, str(ckpt), map_location='cpu', strict=False)
    ours = model.state_dict()
    for key, value in mmdet_model.state_dict().items():
        ours_key = key.replace('neck.', 'neck.neck.', 1) \
            if key.startswith('neck.') else key
        torch.testing.assert_close(ours[ours_key], value, rtol=0, atol=0)

    model.eval()
    mmdet_model.eval()
    # a very low threshold so that random weights give many detections
    for m in (model, mmdet_model):
        m.roi_head.test_cfg.score_thr = 0.0
    imgs = [scene()]
    samples = [det_sample(96, 128, scale=0.5)]
    with torch.no_grad():
        a = model.test_step(
            dict(inputs=imgs, data_samples=copy.deepcopy(samples)))[0]
        b = mmdet_model.test_step(
            dict(inputs=imgs, data_samples=copy.deepcopy(samples)))[0]
    pa, pb = a.pred_instances, b.pred_instances
    assert len(pb) > 10
    assert len(pa) == len(pb)
    torch.testing.assert_close(pa.bboxes, pb.bboxes, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(pa.scores, pb.scores, rtol=1e-5, atol=1e-5)
    assert torch.equal(pa.labels, pb.labels)
    assert pa.masks.shape == (len(pa), 192, 256)
    # masks are thresholded; allow a handful of boundary pixels
    assert (pa.masks != pb.masks).float().mean() < 1e-4


def pair_sample(h, w, template_bbox, bbox, with_mask):
    sample = DetDataSample(
        metainfo=dict(
            img_shape=(h, w),
            ori_shape=(h, w),
            scale_factor=(1., 1.),
            template_bbox=np.array(template_bbox, np.float32),
            with_mask=with_mask))
    gt = InstanceData(
        bboxes=torch.tensor([bbox], dtype=torch.float32),
        labels=torch.zeros(1, dtype=torch.long))
    if with_mask:
        m = np.zeros((1, h, w), np.uint8)
        x1, y1, x2, y2 = [int(v) for v in bbox]
        m[0, y1:y2, x1:x2] = 1
        gt.masks = BitmapMasks(m, h, w)
    sample.gt_instances = gt
    return sample


def tracking_pair(shift=6, with_mask=True):
    """Template frame and a shifted search frame of the same scene."""
    template = scene()
    search = torch.roll(template, shifts=(shift, shift), dims=(1, 2))
    box = [15., 20., 55., 60.]
    moved = [v + shift for v in box]
    return torch.stack([template,
                        search]), pair_sample(96, 128, box, moved, with_mask)


def test_tracking_loss_decreases_and_reaches_backbone_through_the_solve(
        tiny_tao_cfg, build_model):
    tiny_tao_cfg.train_cfg.track_loss_weight = 2.0
    # a smaller RoI budget keeps 30 steps fast
    tiny_tao_cfg.train_cfg.rpn_proposal.nms_pre = 500
    tiny_tao_cfg.train_cfg.rpn_proposal.max_per_img = 200
    tiny_tao_cfg.train_cfg.rcnn.sampler.num = 128
    model = build_model(tiny_tao_cfg, seed=0)
    model.train()
    pair, sample = tracking_pair()
    data = model.data_preprocessor(
        dict(inputs=[pair], data_samples=[sample]), True)
    assert data['inputs']['det'] is None
    assert data['inputs']['template'].shape == (1, 3, 96, 128)

    # gradient reaches the template frame's pixels: template features ->
    # ridge solve -> attention on the search frame -> losses
    template = data['inputs']['template'].clone().requires_grad_(True)
    losses = model.loss(
        dict(template=template, search=data['inputs']['search']),
        data['data_samples'])
    assert set(k for k in losses if 'loss' in k) == {
        'track_loss_rpn_cls', 'track_loss_rpn_bbox', 'track_loss_cls',
        'track_loss_bbox', 'track_loss_mask'
    }
    loss, _ = model.parse_losses(losses)
    loss.backward()
    assert template.grad.abs().sum() > 0
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
    assert model.roi_head.bbox_head.fc_cls_track.weight.grad.abs().sum() > 0
    assert model.roi_head.bbox_head.fc_cls.weight.grad is None
    assert model.roi_head.mask_head.conv_logits_track.weight.grad.abs().sum(
    ) > 0

    # track_loss_weight scales the tracking losses
    torch.manual_seed(0)
    with torch.no_grad():
        weighted = model.loss(data['inputs'], data['data_samples'])
        torch.manual_seed(0)
        plain = model.track_loss(data['inputs']['template'],
                                 data['inputs']['search'],
                                 data['data_samples']['track'])
    torch.testing.assert_close(weighted['track_loss_bbox'],
                               2 * plain['loss_bbox'])

    optim = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    history = []
    for _ in range(30):
        optim.zero_grad()
        loss, _ = model.parse_losses(
            model.loss(data['inputs'], data['data_samples']))
        loss.backward()
        # as the schedule's clip_grad: the ridge solve can spike gradients
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=10)
        optim.step()
        history.append(loss.item())
    assert np.isfinite(history).all()
    assert np.mean(history[-3:]) < 0.6 * np.mean(history[:3]), history


def test_mixed_batch_loss_and_box_only_pairs(tiny_tao_cfg, build_model):
    model = build_model(tiny_tao_cfg)
    model.train()
    det = DetDataSample(
        metainfo=dict(
            img_shape=(96, 128), ori_shape=(96, 128), scale_factor=(1., 1.)))
    m = np.zeros((1, 96, 128), np.uint8)
    m[0, 20:60, 15:55] = 1
    det.gt_instances = InstanceData(
        bboxes=torch.tensor([[15., 20., 55., 60.]]),
        labels=torch.tensor([2]),
        masks=BitmapMasks(m, 96, 128))
    pair_m, sample_m = tracking_pair(4, with_mask=True)
    pair_b, sample_b = tracking_pair(8, with_mask=False)
    data = model.data_preprocessor(
        dict(
            inputs=[scene(), pair_m, pair_b],
            data_samples=[det, sample_m, sample_b]), True)
    torch.manual_seed(0)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert {
        'det_loss_cls', 'det_loss_mask', 'track_loss_cls', 'track_loss_mask'
    } <= set(losses)
    # the box-only pair adds nothing to the tracking mask loss: it equals
    # the mask loss of the pair with a mask alone (same sampled RoIs)
    torch.manual_seed(0)
    model.loss(
        dict(det=data['inputs']['det']), dict(det=data['data_samples']['det']))
    only_m = model.track_loss(data['inputs']['template'][:1],
                              data['inputs']['search'][:1],
                              data['data_samples']['track'][:1])
    torch.testing.assert_close(losses['track_loss_mask'], only_m['loss_mask'])
    # a batch of box-only pairs: zero mask loss, still in the graph
    losses = model.loss(
        dict(
            template=data['inputs']['template'][1:],
            search=data['inputs']['search'][1:]),
        dict(track=data['data_samples']['track'][1:]))
    assert float(losses['track_loss_mask']) == 0
    assert losses['track_loss_mask'].requires_grad


def init_boxes():
    return torch.tensor([[15., 20., 55., 60.], [70., 30., 110., 80.],
                         [40., 10., 90., 50.]])


def test_k_templates_in_one_pass_equal_k_single_runs(tiny_tao_cfg,
                                                     build_model):
    model = build_model(tiny_tao_cfg).eval()
    data = preprocess(
        model, [scene(), scene(seed=1)],
        [det_sample(96, 128), det_sample(96, 128)])
    first, second = data['inputs'][:1], data['inputs'][1:]
    boxes = init_boxes()
    templates = model.init(first, boxes)
    assert templates.shape == (3, 16)
    together = model.track(second)
    assert len(together) == 3
    for k in range(3):
        single_t = model.init(first, boxes[k])
        torch.testing.assert_close(single_t[0], templates[k])
        alone = model.track(second)[0]
        k_cands = model.test_cfg.track.rcnn.max_per_img
        assert len(alone) == len(together[k]) == k_cands
        torch.testing.assert_close(
            alone.bboxes, together[k].bboxes, rtol=1e-4, atol=1e-3)
        torch.testing.assert_close(
            alone.scores, together[k].scores, rtol=1e-4, atol=1e-5)
        assert alone.masks.shape == (k_cands, 96, 128)
        assert alone.masks.dtype == torch.bool
        assert (alone.masks != together[k].masks).float().mean() < 1e-3
        assert torch.all(alone.scores[:-1] >= alone.scores[1:])


def test_track_rescales_to_original_coordinates(tiny_tao_cfg, build_model):
    model = build_model(tiny_tao_cfg).eval()
    data = preprocess(model, [scene()], [det_sample(96, 128, scale=0.5)])
    meta = data['data_samples'][0].metainfo
    model.init(data['inputs'], init_boxes()[:1], meta)
    in_input = model.track(data['inputs'], meta)[0]
    in_ori = model.track(data['inputs'], meta, rescale=True)[0]
    torch.testing.assert_close(in_ori.bboxes, in_input.bboxes * 2)
    assert in_ori.masks.shape[-2:] == (192, 256)


@pytest.mark.parametrize('box,match', [
    ([20., 20., 20., 50.], 'non-positive size'),
    ([50., 20., 30., 40.], 'non-positive size'),
    ([float('nan'), 20., 30., 40.], 'NaN'),
    ([200., 20., 230., 40.], 'entirely outside'),
    ([10., -50., 30., -5.], 'entirely outside'),
])
def test_init_rejects_bad_boxes(tiny_tao_cfg, build_model, box, match):
    model = build_model(tiny_tao_cfg).eval()
    img = preprocess(model, [scene()], [det_sample(96, 128)])['inputs']
    with pytest.raises(ValueError, match=match):
        model.init(img, torch.tensor(box))


def test_track_before_init_and_bad_batches_raise(tiny_tao_cfg, build_model):
    model = build_model(tiny_tao_cfg).eval()
    img = torch.zeros(1, 3, 64, 64)
    with pytest.raises(RuntimeError, match='init'):
        model.track(img)
    with pytest.raises(ValueError, match='one frame'):
        model.init(torch.zeros(2, 3, 64, 64), torch.tensor([1., 1., 9., 9.]))
    model.train()
    with pytest.raises(ValueError, match=r'\(2, 3, H, W\)'):
        model.data_preprocessor(
            dict(
                inputs=[torch.zeros(3, 2, 3, 8, 8, dtype=torch.uint8)],
                data_samples=[DetDataSample()]), True)


@MODELS.register_module(force=True)
class _PickLastSmoother:
    """A stand-in temporal smoother: picks the lowest-scored candidate and
    halves the scores, so that its effect is visible."""

    def __init__(self, factor=0.5):
        self.factor = factor
        self.calls = []

    def reset(self, bbox, mask):
        self.calls.append(('reset', bbox.clone(), mask))

    def select(self, bboxes, scores, masks):
        self.calls.append(('select', len(bboxes), masks is not None))
        return len(bboxes) - 1, scores * self.factor


def sot_sample(frame_id, scale=0.5):
    sample = det_sample(96, 128, scale)
    sample.set_metainfo(
        dict(frame_id=frame_id, video_id=0, video_length=3, seq_name='a'))
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([[15., 20., 55., 60.]]),
        labels=torch.zeros(1, dtype=torch.long))
    return sample


@pytest.mark.parametrize('temporal', [None, dict(type='_PickLastSmoother')])
def test_sot_predict_follows_the_contract(tiny_tao_cfg, build_model, temporal):
    tiny_tao_cfg.test_cfg.temporal = temporal
    model = build_model(tiny_tao_cfg).eval()
    outs = []
    for frame_id, seed in enumerate([0, 0, 1]):
        data = preprocess(model, [scene(seed=seed)], [sot_sample(frame_id)])
        with torch.no_grad():
            outs.append(model.predict(data['inputs'], data['data_samples'])[0])
    first = outs[0].pred_track_instances
    torch.testing.assert_close(first.bboxes,
                               torch.tensor([[30., 40., 110., 120.]]))
    torch.testing.assert_close(first.scores, torch.ones(1))
    assert first.masks.shape == (1, 192, 256)
    assert int(first.masks.sum()) == 80 * 80
    # frame 1: top-1 (or the smoother's pick) of track(), original coords
    data = preprocess(model, [scene(seed=0)], [sot_sample(1)])
    meta = data['data_samples'][0].metainfo
    model.init(
        preprocess(model, [scene()], [sot_sample(0)])['inputs'],
        torch.tensor([[15., 20., 55., 60.]]), meta)
    cands = model.track(data['inputs'], meta, rescale=True)[0]
    pick = 0 if temporal is None else len(cands) - 1
    # presence: the chosen candidate's own detector confidence, not the
    # smoother's re-scored value (halved by the stand-in)
    score = cands.scores[pick]
    for out in outs[1:2]:
        pred = out.pred_track_instances
        assert pred.bboxes.shape == (1, 4) and pred.scores.shape == (1, )
        torch.testing.assert_close(pred.bboxes, cands.bboxes[pick:pick + 1])
        torch.testing.assert_close(pred.scores, score[None])
        assert pred.masks.shape == (1, 192, 256)
        assert pred.masks.dtype == torch.bool
    if temporal is not None:
        calls = model._sot_tracker.smoothers[0].calls
        assert calls[0][0] == 'reset' and calls[0][2].shape == (192, 256)
        assert [c[0] for c in calls[1:]] == ['select', 'select']
        assert calls[1][2]  # masks passed to the smoother


def test_sot_frame_before_init_raises(tiny_tao_cfg, build_model):
    model = build_model(tiny_tao_cfg).eval()
    data = preprocess(model, [scene()], [sot_sample(5)])
    with pytest.raises(RuntimeError, match='frame 0'):
        model.predict(data['inputs'], data['data_samples'])


def test_sot_predict_with_the_registered_temporal_smoother(
        tiny_tao_cfg, build_model):
    tiny_tao_cfg.test_cfg.temporal = dict(
        type='TemporalSmoother',
        alpha=0.6,
        low_iou=0.1,
        recover_iou=0.3,
        recover_frames=30)
    model = build_model(tiny_tao_cfg).eval()
    preds = []
    for frame_id in range(3):
        data = preprocess(model, [scene()], [sot_sample(frame_id)])
        with torch.no_grad():
            out = model.predict(data['inputs'], data['data_samples'])[0]
        preds.append(out.pred_track_instances)
    data = preprocess(model, [scene()], [sot_sample(1)])
    # the test loop's templates live in its SOTTracker
    cands = model.predict_candidates(
        model.extract_feat(data['inputs']),
        model._sot_tracker.templates,
        data['data_samples'][0].metainfo,
        rescale=True)[0]
    for pred in preds[1:]:
        # the pick is one of the candidates; the presence score reported is
        # that candidate's own detector confidence (selection used
        # alpha * c + (1 - alpha) * IoU)
        match = (cands.bboxes - pred.bboxes).abs().sum(1) < 1e-3
        assert bool(match.any())
        idx = int(match.nonzero()[0])
        assert float(pred.scores) == pytest.approx(float(cands.scores[idx]))
        assert pred.masks.shape == (1, 192, 256)


def test_other_pyramid_shapes_work(tiny_tao_cfg, build_model):
    # FPN from C3 (strides 8..64, 4 outputs, 24 channels): the template head
    # takes the RoI extractor's strides, attention any channel count
    cfg = tiny_tao_cfg
    cfg.neck.neck.update(start_level=1, num_outs=4, out_channels=24)
    cfg.rpn_head.update(in_channels=24, feat_channels=24)
    cfg.rpn_head.anchor_generator.strides = [8, 16, 32, 64]
    for key in ('bbox_roi_extractor', 'mask_roi_extractor'):
        cfg.roi_head[key].update(out_channels=24, featmap_strides=[8, 16, 32])
    cfg.roi_head.bbox_head.in_channels = 24
    cfg.roi_head.mask_head.in_channels = 24
    model = build_model(cfg)
    assert model.template_head.featmap_strides == (8, 16, 32)
    model.train()
    pair, sample = tracking_pair()
    data = model.data_preprocessor(
        dict(inputs=[pair], data_samples=[sample]), True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert torch.isfinite(model.parse_losses(losses)[0])
    model.eval()
    img = preprocess(model, [scene()], [det_sample(96, 128)])['inputs']
    assert model.init(img, init_boxes()).shape == (3, 24)
    k_cands = model.test_cfg.track.rcnn.max_per_img
    assert [len(r) for r in model.track(img)] == [k_cands] * 3


def test_box_only_tracking_skips_the_mask_branch(tiny_tao_cfg, build_model):
    tiny_tao_cfg.test_cfg.track.with_mask = False
    model = build_model(tiny_tao_cfg).eval()
    data = preprocess(model, [scene()], [det_sample(96, 128)])
    model.init(data['inputs'], init_boxes()[:1])
    boxes_only = model.track(data['inputs'])[0]
    assert 'masks' not in boxes_only
    model.test_cfg.track.with_mask = True
    with_masks = model.track(data['inputs'])[0]
    assert 'masks' in with_masks
    torch.testing.assert_close(boxes_only.bboxes, with_masks.bboxes)
    model.test_cfg.track.with_mask = False
    for frame_id in range(2):
        data = preprocess(model, [scene()], [sot_sample(frame_id)])
        out = model.predict(data['inputs'], data['data_samples'])[0]
        assert 'masks' not in out.pred_track_instances


@pytest.mark.parametrize('temporal', [
    None,
    dict(
        type='TemporalSmoother',
        alpha=0.6,
        low_iou=0.1,
        recover_iou=0.3,
        recover_frames=30)
])
def test_sot_frame_size_change_is_one_clear_error(tiny_tao_cfg, build_model,
                                                  temporal):
    tiny_tao_cfg.test_cfg.temporal = temporal
    model = build_model(tiny_tao_cfg).eval()
    for frame_id in range(2):
        data = preprocess(model, [scene()], [sot_sample(frame_id)])
        model.predict(data['inputs'], data['data_samples'])
    sample = sot_sample(2)
    sample.set_metainfo(dict(ori_shape=(100, 300), img_path='v/0003.jpg'))
    data = preprocess(model, [scene()], [sample])
    with pytest.raises(
            ValueError,
            match=r'frame 2 \(v/0003.jpg\) is 300x100 \(WxH\).*256x192'):
        model.predict(data['inputs'], data['data_samples'])


def test_sot_results_pickle_only_what_they_hold(tiny_tao_cfg, build_model):
    """tools/test.py --out pickles the results: a frame's mask must not
    drag the storage of all k candidates' masks along."""
    import pickle
    model = build_model(tiny_tao_cfg).eval()
    assert model.test_cfg.track.rcnn.max_per_img > 1
    for frame_id in range(3):
        data = preprocess(model, [scene()], [sot_sample(frame_id)])
        out = model.predict(data['inputs'], data['data_samples'])[0]
        pred = out.pred_track_instances
        mask_bytes = pred.masks.numel() * pred.masks.element_size()
        assert len(pickle.dumps(pred.masks)) < mask_bytes + 1000
        assert len(pickle.dumps(out.to_dict())) < mask_bytes + 4000


def eight_boxes():
    boxes = []
    for k in range(8):
        bw, bh = 128 * (0.15 + 0.08 * (k % 4)), 96 * (0.2 + 0.1 * (k % 3))
        x1, y1 = (128 - bw) * ((k * 0.37) % 1), (96 - bh) * ((k * 0.61) % 1)
        boxes.append([x1, y1, x1 + bw, y1 + bh])
    return torch.tensor(boxes)


def _template_and_search_frames(model):
    """Two preprocessed frames at scale 0.5 and the second one's meta."""
    data = preprocess(
        model, [scene(), scene(seed=1)],
        [det_sample(96, 128, 0.5), det_sample(96, 128, 0.5)])
    return (data['inputs'][:1], data['inputs'][1:],
            data['data_samples'][1].metainfo)


@pytest.mark.parametrize('with_mask', [True, False])
@pytest.mark.parametrize('alternative_ops', [1, 0, None])
def test_lean_track_step_equals_mmdet_predict_paths(tiny_tao_cfg, build_model,
                                                     with_mask,
                                                     alternative_ops):
    """The lean step (batched over K templates; always, never, or as by
    default (K >= 4, 2 RoIs or more) with the factorized RPN conv and the
    gathered RoIAlign) gives the boxes, scores and masks of mmdet's
    per-image predict paths."""
    tiny_tao_cfg.test_cfg.track.update(with_mask=with_mask)
    if alternative_ops is not None:
        tiny_tao_cfg.test_cfg.track.update(
            gathered_min_rois=alternative_ops,
            factorized_rpn_min_templates=alternative_ops)
    model = build_model(tiny_tao_cfg, seed=4).eval()
    first, second, meta = _template_and_search_frames(model)
    with torch.no_grad():
        feats = model.extract_feat(second)
        for num in (1, 3, 8):
            templates = model.init(first, eight_boxes()[:num], meta)
            for rescale in (True, False):
                ref = model.predict_candidates(
                    feats, templates, meta, rescale, lean=False)
                lean = model.predict_candidates(
                    feats, templates, meta, rescale, lean=True)
                assert len(ref) == len(lean) == num
                for a, b in zip(ref, lean):
                    assert len(a) == len(b) > 0
                    torch.testing.assert_close(
                        b.bboxes, a.bboxes, rtol=0, atol=1e-4)
                    torch.testing.assert_close(
                        b.scores, a.scores, rtol=0, atol=1e-4)
                    assert b.labels.tolist() == a.labels.tolist()
                    assert ('masks' in a) == ('masks' in b) == with_mask
                    if with_mask:
                        assert b.masks.shape == a.masks.shape
                        assert b.masks.dtype == torch.bool
                        assert torch.equal(b.masks, a.masks)


def test_extra_proposals_are_scored_as_rpn_proposals(tiny_tao_cfg,
                                                     build_model):
    """Boxes given as ``extra_proposals`` join each template's RPN
    proposals: mmdet's RoI head on the RPN's proposals plus those boxes
    gives the candidates of both the per-image and the lean path; with
    every RoI kept, each extra box adds one candidate."""
    from mmtao.models.detectors.joint_sot_detector import add_proposals
    tiny_tao_cfg.test_cfg.track.rcnn.update(score_thr=0.0)
    model = build_model(tiny_tao_cfg, seed=4).eval()
    first, second, meta = _template_and_search_frames(model)
    cfg = model.test_cfg.track
    with torch.no_grad():
        feats = model.extract_feat(second)
        templates = model.init(first, eight_boxes()[:3], meta)
        extra = [
            torch.tensor([[4., 4., 30., 40.]]),
            torch.tensor([[60., 10., 120., 90.], [0., 0., 128., 96.]]),
            torch.zeros(0, 4)
        ]
        x = model.neck.attend(feats, templates)
        rpn = model.rpn_head.predict_by_feat(
            *model.rpn_head(x), batch_img_metas=[meta] * 3, cfg=cfg.rpn)
        joined = []
        for res, boxes in zip(rpn, extra):
            joined.append(
                InstanceData(
                    bboxes=torch.cat([res.bboxes, boxes]),
                    scores=torch.cat([res.scores,
                                      torch.ones(len(boxes))]),
                    labels=torch.cat([
                        res.labels,
                        torch.zeros(len(boxes), dtype=torch.long)
                    ])))
        want = model.roi_head.predict_track(
            x, [meta] * 3, joined, cfg.rcnn, rescale=False, with_mask=True)
        for lean in (False, True):
            got = model.predict_candidates(
                feats, templates, meta, False, lean=lean,
                extra_proposals=extra)
            for a, b in zip(want, got):
                assert len(a) == len(b) > 0
                torch.testing.assert_close(
                    b.bboxes, a.bboxes, rtol=0, atol=1e-4)
                torch.testing.assert_close(
                    b.scores, a.scores, rtol=0, atol=1e-4)
        # no NMS, no top-k: one more candidate per extra box
        cfg.rcnn.update(
            max_per_img=10000, nms=dict(type='nms', iou_threshold=1.0))
        without = model.predict_candidates(feats, templates, meta, False)
        got = model.predict_candidates(
            feats, templates, meta, False, extra_proposals=extra)
        assert [len(b) - len(a) for a, b in zip(without, got)] == [1, 2, 0]
        with pytest.raises(ValueError, match='2 extra proposal sets for 3'):
            add_proposals(rpn, extra[:2])


@pytest.mark.parametrize('with_mask', [True, False])
def test_refined_boxes_are_the_box_head_applied_again(tiny_tao_cfg,
                                                      build_model, with_mask):
    """``rcnn.refine_iters=n``: each candidate's box is moved n more times
    by the box head's tracking deltas on it (mmdet's RoI extractor and
    ``delta2bbox``, by hand), the scores and their order stay the
    unrefined ones, and the lean and per-image paths agree."""
    from mmdet.models.task_modules.coders.delta_xywh_bbox_coder import \
        delta2bbox
    from mmdet.structures.bbox import bbox2roi
    tiny_tao_cfg.test_cfg.track.update(with_mask=with_mask)
    model = build_model(tiny_tao_cfg, seed=4).eval()
    with torch.no_grad():  # deltas large enough to move boxes visibly
        model.roi_head.bbox_head.fc_reg_track.weight.normal_(0, 0.02)
        model.roi_head.bbox_head.fc_reg_track.bias.fill_(1.)
    first, second, meta = _template_and_search_frames(model)
    cfg = model.test_cfg.track
    roi_head = model.roi_head
    coder = roi_head.bbox_head.bbox_coder
    with torch.no_grad():
        feats = model.extract_feat(second)
        templates = model.init(first, eight_boxes()[:3], meta)
        x = model.neck.attend(feats, templates)
        plain = model.predict_candidates(feats, templates, meta, False)
        boxes = [res.bboxes for res in plain]
        for num_iters in (1, 2):
            with roi_head.tracking(cfg.rcnn):
                rois = bbox2roi(boxes)
                deltas = roi_head.bbox_head(
                    roi_head.bbox_roi_extractor(x, rois))[1]
            moved = delta2bbox(rois[:, 1:], deltas, coder.means, coder.stds,
                               max_shape=meta['img_shape'])
            boxes = list(moved.split([len(b) for b in boxes]))
            cfg.rcnn.update(refine_iters=num_iters)
            for lean in (True, False):
                got = model.predict_candidates(
                    feats, templates, meta, False, lean=lean)
                for res, ref, want in zip(got, plain, boxes):
                    assert len(res) == len(ref) > 0
                    torch.testing.assert_close(
                        res.bboxes, want, rtol=0, atol=1e-4)
                    assert torch.equal(res.scores, ref.scores)
                    assert ('masks' in res) == with_mask
            for rescale in (True, False):
                a, b = (model.predict_candidates(
                    feats, templates, meta, rescale, lean=lean)
                        for lean in (False, True))
                for ra, rb in zip(a, b):
                    torch.testing.assert_close(
                        rb.bboxes, ra.bboxes, rtol=0, atol=1e-4)
                    if with_mask:
                        assert torch.equal(rb.masks, ra.masks)
        assert (boxes[0] - plain[0].bboxes).abs().max() > 1
        scale = torch.tensor(meta['scale_factor']).repeat(2)
        unscaled = model.predict_candidates(feats, templates, meta, True)
        torch.testing.assert_close(
            unscaled[0].bboxes, boxes[0] / scale, rtol=0, atol=1e-4)


def test_lazy_masks_are_the_full_paths_masks(tiny_tao_cfg, build_model):
    """``lazy_masks`` gives, for the asked candidates, the masks the full
    lean path pastes, and for none an empty stack of the same canvas."""
    model = build_model(tiny_tao_cfg, seed=4).eval()
    first, second, meta = _template_and_search_frames(model)
    with torch.no_grad():
        feats = model.extract_feat(second)
        templates = model.init(first, eight_boxes()[:3], meta)
        for rescale in (True, False):
            full = model.predict_candidates(
                feats, templates, meta, rescale, lean=True)
            lazy, masks = model.predict_candidates(
                feats, templates, meta, rescale, lean=True, lazy_masks=True)
            assert all('masks' not in res for res in lazy)
            objs = [k for k in range(3) if len(full[k])]
            cands = [len(full[k]) - 1 for k in objs]
            got = masks(objs, cands)
            want = torch.stack([full[k].masks[i] for k, i in zip(objs, cands)])
            assert torch.equal(got, want)
            none = masks([], [])
            assert none.shape == (0, *want.shape[1:])
            assert none.dtype == want.dtype


@pytest.mark.parametrize('with_mask', [True, False])
@pytest.mark.parametrize('temporal', [True, False])
def test_lean_tracker_step_equals_mmdet_predict_paths(tiny_tao_cfg,
                                                      build_model, with_mask,
                                                      temporal):
    """SOTTracker on the lean step, which computes only the masks its
    choice needs, tracks K = 1, 3, 8 objects through a sequence exactly as
    on mmdet's predict paths with every candidate's mask (``lean=False``):
    boxes and scores within 1e-4, identical masks and smoother states."""
    from mmtao.models.trackers import SOTTracker
    tiny_tao_cfg.test_cfg.track.update(with_mask=with_mask)
    if not temporal:
        tiny_tao_cfg.test_cfg.temporal = None
    model = build_model(tiny_tao_cfg, seed=4).eval()
    # the same scene moving a few pixels a frame, then another scene
    frames = [scene(seed=0)] + [
        torch.roll(scene(seed=0), (2 * t, 3 * t), (1, 2)) for t in (1, 2, 3)
    ] + [scene(seed=1)]
    data = preprocess(model, frames, [det_sample(96, 128, 0.5)] * 5)
    meta = data['data_samples'][0].metainfo
    imgs = data['inputs']
    computed = []
    head = model.roi_head
    candidate_masks = head._candidate_masks

    def counting(*args):
        out = candidate_masks(*args)
        computed.append(len(out))
        return out

    head._candidate_masks = counting
    num_cands = 0
    with torch.no_grad():
        for num in (1, 3, 8):
            boxes = eight_boxes()[:num] * 2  # original coordinates
            lean = SOTTracker(temporal=model.test_cfg.get('temporal'))
            ref = SOTTracker(temporal=model.test_cfg.get('temporal'))
            for tracker in (lean, ref):
                tracker.init(model, imgs[:1], meta, boxes)
            for img in imgs[1:]:
                a = ref.track(model, img[None], meta, lean=False)
                b = lean.track(model, img[None], meta)
                num_cands += sum(
                    len(c) for c in model.predict_candidates(
                        model.extract_feat(img[None]), ref.templates, meta))
                torch.testing.assert_close(
                    b.bboxes, a.bboxes, rtol=0, atol=1e-4)
                torch.testing.assert_close(
                    b.scores, a.scores, rtol=0, atol=1e-4)
                assert ('masks' in a) == ('masks' in b) == with_mask
                if with_mask:
                    assert b.masks.dtype == a.masks.dtype == torch.bool
                    assert torch.equal(b.masks, a.masks)
                for s_a, s_b in zip(ref.smoothers, lean.smoothers):
                    assert (s_a is None) == (s_b is None) == (not temporal)
                    if temporal:
                        assert (s_a.enabled, s_a.smooth_count) == (
                            s_b.enabled, s_b.smooth_count)
                        torch.testing.assert_close(
                            s_b.prev_bbox, s_a.prev_bbox, rtol=0, atol=1e-4)
                        assert torch.equal(s_b.prev_mask, s_a.prev_mask) \
                            if with_mask else s_b.prev_mask is None
    if with_mask:
        # one mask per object and frame, plus the few rivals' masks
        assert 4 * (1 + 3 + 8) <= sum(computed) < num_cands
        if not temporal:
            assert sum(computed) == 4 * (1 + 3 + 8)
    else:
        assert computed == []


def test_the_renamed_roi_option_is_an_error(tiny_tao_cfg, build_model):
    # caught when the model is built, not on every tracked frame
    tiny_tao_cfg.test_cfg.track.separable_min_rois = 16
    with pytest.raises(ValueError, match='gathered_min_rois'):
        build_model(tiny_tao_cfg, seed=4)
