# Copyright (c) mmtao contributors. All rights reserved.
"""The per-benchmark test configs resolve: dataset, sampler, metric and the
temporal heuristic (on in the full configs, off in the w/o-temporal ones,
as the paper's table rows)."""
import os.path as osp

import pytest
from mmengine.config import Config

from conftest import REPO_ROOT
from mmtao.registry import DATA_SAMPLERS, DATASETS, METRICS, MODELS
from mmtao.utils import register_all_modules

BENCHMARKS = ('got10k', 'got10k_test', 'lasot', 'otb100', 'trackingnet',
              'oxuva', 'vot_lt', 'davis', 'coco-detection',
              'got10k_wo-temporal',
              'oxuva_wo-temporal', 'vot_lt_wo-temporal')
CONFIGS = [
    osp.join(REPO_ROOT, 'configs', 'tao', f'tao_r50-fpn_{b}.py')
    for b in BENCHMARKS
]
PAPER = dict(
    type='TemporalSmoother',
    alpha=0.6,
    low_iou=0.1,
    recover_iou=0.3,
    recover_frames=30)


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_benchmark_config(path):
    register_all_modules()
    cfg = Config.fromfile(path)
    dataset = cfg.test_dataloader.dataset
    assert DATASETS.get(dataset.type) is not None, dataset.type
    assert cfg.test_cfg.type == 'TestLoop'
    evaluator = cfg.test_evaluator
    if evaluator.type == 'CocoMetric':
        assert 'segm' in evaluator.metric and 'bbox' in evaluator.metric
        assert cfg.get('train_dataloader') is None
        return
    assert cfg.test_dataloader.batch_size == 1
    assert cfg.test_dataloader.sampler.type == 'VideoSampler'
    assert DATA_SAMPLERS.get('VideoSampler') is not None
    assert dataset.test_mode and dataset.pipeline[-1].type == 'PackSOTInputs'
    METRICS.build(evaluator)
    temporal = cfg.model.test_cfg.temporal
    if path.endswith('_wo-temporal.py'):
        assert temporal is None
    else:
        assert temporal == PAPER
        assert MODELS.build(temporal).recover_frames == 30


def test_dataset_bases_exist():
    for b in BENCHMARKS[:8]:
        assert osp.isfile(
            osp.join(REPO_ROOT, 'configs', '_base_', 'datasets', f'{b}.py'))


def test_each_setting_in_one_place():
    """The smoother dict lives in the model base only (the paper's "Ours"
    default) and the SOT test loop in _base_/datasets/sot_test.py only."""
    def text(*parts):
        with open(osp.join(REPO_ROOT, 'configs', *parts)) as f:
            return f.read()

    model = Config.fromfile(
        osp.join(REPO_ROOT, 'configs/_base_/models/tao_mask-rcnn_r50_fpn.py'))
    assert model.model.test_cfg.temporal == PAPER
    for path in CONFIGS:
        assert 'TemporalSmoother' not in text('tao', osp.basename(path))
    for b in BENCHMARKS[:8]:
        base = text('_base_', 'datasets', f'{b}.py')
        for key in ('VideoSampler', 'PackSOTInputs', 'batch_size'):
            assert key not in base, (b, key)
    shared = text('_base_', 'datasets', 'sot_test.py')
    assert 'VideoSampler' in shared and 'PackSOTInputs' in shared
