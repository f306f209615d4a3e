# Copyright (c) mmtao contributors. All rights reserved.
import os.path as osp

import mmdet as mmdet_pkg
import pytest
import yaml
from mmengine.config import Config

from mmtao.models.detectors import JointSOTDetector

REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
PAPER = 'configs/tao/tao_r50-fpn_coco-vid-ytvos.py'
MASK_RCNN_URL = (
    'https://download.openmmlab.com/mmdetection/v2.0/mask_rcnn/'
    'mask_rcnn_r50_fpn_1x_coco/mask_rcnn_r50_fpn_1x_coco_20200205-d4b0c5d6.pth'
)


def load(path):
    return Config.fromfile(osp.join(REPO, path))


def flat(d, prefix=''):
    """Flatten nested dicts (and lists of dicts) to {dotted key: value}."""
    out = {}
    items = d.items() if isinstance(d, dict) else enumerate(d)
    for k, v in items:
        key = f'{prefix}{k}'
        if isinstance(v, dict) or (isinstance(v, list) and v
                                   and isinstance(v[0], dict)):
            out.update(flat(v, key + '.'))
        else:
            out[key] = v
    return out


def diff(a, b):
    """Keys whose values differ (registry scopes aside)."""
    fa, fb = flat(a.to_dict()), flat(b.to_dict())
    return {
        k
        for k in fa.keys() | fb.keys()
        if fa.get(k) != fb.get(k) and not k.endswith('_scope_')
    }


def test_paper_config_is_mmdet_mask_rcnn_plus_the_tracker(build_model):
    cfg = load(PAPER)
    assert cfg.load_from == MASK_RCNN_URL
    assert cfg.default_scope == 'mmtao'
    mmdet = Config.fromfile(
        osp.join(
            osp.dirname(mmdet_pkg.__file__),
            '.mim/configs/mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'))
    # everything but the model, the joint data and the schedule is mmdet's
    for key in ('env_cfg', 'vis_backends', 'visualizer', 'optim_wrapper',
                'val_dataloader', 'val_evaluator'):
        assert not diff(Config({key: cfg[key]}), Config({key: mmdet[key]})) - {
            f'{key}.clip_grad.max_norm', f'{key}.clip_grad.norm_type',
            f'{key}.metric'
        }, key
    model, ref = cfg.model, mmdet.model
    assert model.type == 'JointSOTDetector'
    assert model.template_head.strategy == 'ridge'
    assert model.neck.neck.to_dict() == ref.neck.to_dict()
    assert diff(model.backbone, ref.backbone) <= {
        'init_cfg', 'init_cfg.type', 'init_cfg.checkpoint'}
    # mmdet's RPNHead with the batched tracking path: only the type differs
    assert diff(model.rpn_head, ref.rpn_head) == {'type'}
    assert model.rpn_head.type == 'TrackingRPNHead'
    assert diff(model.roi_head,
                ref.roi_head) == {'type', 'bbox_head.type', 'mask_head.type'}
    for key in ('rpn', 'rcnn'):
        assert model.test_cfg[key].to_dict() == ref.test_cfg[key].to_dict()
    assert model.test_cfg.track.rpn.max_per_img < \
        ref.test_cfg.rpn.max_per_img
    # it builds (R50 at full size: weights stay random, nothing downloaded)
    model.backbone.init_cfg = None
    from mmengine import DefaultScope
    from mmtao.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmtao'):
        assert isinstance(MODELS.build(model), JointSOTDetector)


@pytest.mark.parametrize('name,base,override', [
    ('center', PAPER, {'model.template_head.strategy'}),
    ('mean-pos', PAPER, {'model.template_head.strategy'}),
    ('mean-diff', PAPER, {'model.template_head.strategy'}),
    # only the video pairs: no detection images, no COCO pseudo-pairs
    ('no-joint-det', 'configs/tao/tao_r50-fpn_coco-vid-ytvos_center.py', {
        'train_dataloader.sampler.track_fraction',
        'train_dataloader.sampler.track_sources',
        'train_dataloader.sampler.source_weights',
        'train_dataloader.dataset.datasets'
    }),
    ('no-det-init', 'configs/tao/tao_r50-fpn_coco-vid-ytvos_no-joint-det.py',
     {'load_from', 'model.backbone.init_cfg'}),
])
def test_ablation_configs_differ_by_one_override(name, base, override):
    cfg = load(f'configs/tao/tao_r50-fpn_coco-vid-ytvos_{name}.py')
    collapse = ('model.backbone.init_cfg', 'train_dataloader.dataset.datasets')
    changed = {
        next((c for c in collapse if k.startswith(c)), k)
        for k in diff(cfg, load(base))
    }
    assert changed == override
    if name == 'no-joint-det':
        # the base's two video datasets, unchanged
        base_sets = load(base).train_dataloader.dataset.datasets
        assert cfg.train_dataloader.dataset.datasets == base_sets[1:3]
    if name in ('center', 'mean-pos', 'mean-diff'):
        assert cfg.model.template_head.strategy == name.replace('-', '_')


def test_metafile_lists_existing_configs():
    with open(osp.join(REPO, 'configs/tao/metafile.yml')) as f:
        meta = yaml.safe_load(f)
    names = [m['Name'] for m in meta['Models']]
    assert len(names) == len(set(names))
    for m in meta['Models']:
        assert osp.isfile(osp.join(REPO, m['Config'])), m['Config']
