# Copyright (c) mmtao contributors. All rights reserved.
"""The training configs: they parse, every type they name is registered,
the mixing sampler matches the dataloader, and the CPU model builds with the
converted ImageNet MobileNetV2 (when the converted file exists)."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from conftest import REPO_ROOT

CPU_CFG = osp.join(REPO_ROOT, 'configs/tao/tao_mbv2-fpn_320_synthetic.py')
PAPER_CFG = osp.join(REPO_ROOT,
                     'configs/tao/tao_r50-fpn_coco-vid-ytvos.py')
CONVERTED = osp.join(REPO_ROOT,
                     'checkpoints/pretrained/mobilenet_v2_mmdet.pth')


def _types(obj) -> set:
    """Every ``type`` string inside a config (nested dicts and lists)."""
    found = set()
    if isinstance(obj, dict):
        if isinstance(obj.get('type'), str):
            found.add(obj['type'])
        for v in obj.values():
            found |= _types(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            found |= _types(v)
    return found


@pytest.mark.parametrize('path', [CPU_CFG, PAPER_CFG])
def test_training_config_is_consistent(path):
    from mmtao.registry import (DATA_SAMPLERS, DATASETS, TRANSFORMS)
    from mmtao.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(path)
    loader = cfg.train_dataloader
    assert cfg.default_scope == 'mmtao'
    assert cfg.model.type == 'JointSOTDetector'
    assert loader.sampler.type == 'MixedBatchSampler'
    assert loader.sampler.batch_size == loader.batch_size
    datasets = loader.dataset.datasets
    assert len(loader.sampler.source_weights) == len(datasets)
    for i, ds in enumerate(datasets):
        assert DATASETS.get(ds.type) is not None, ds.type
        steps = [t['type'] for t in ds.pipeline]
        if i in loader.sampler.track_sources:
            # tracking sources make pairs, packed per the data contract
            assert steps[0] in ('SOTPairSampling', 'ImagePairSampling')
            assert steps[-1] == 'PackSOTPairInputs'
        else:
            assert steps[-1] == 'PackDetInputs'
        for t in _types(ds.pipeline):
            assert TRANSFORMS.get(t) is not None, t
    assert DATA_SAMPLERS.get(loader.sampler.type) is not None
    # iteration-based: the checkpoint hook counts iterations
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'
    assert cfg.default_hooks.checkpoint.by_epoch is False
    assert cfg.log_processor.by_epoch is False
    if path == CPU_CFG:
        # the paper's temporal heuristic for the GOT-10k validation
        assert cfg.model.test_cfg.temporal.type == 'TemporalSmoother'
    else:
        # the paper setup validates as a COCO detector
        assert cfg.val_evaluator.type == 'CocoMetric'


def test_paper_config_is_the_paper_setup():
    cfg = Config.fromfile(PAPER_CFG)
    assert cfg.model.backbone.type == 'ResNet'
    assert cfg.model.backbone.depth == 50
    types = [d.type for d in cfg.train_dataloader.dataset.datasets]
    assert types == ['CocoDataset', 'ImageNetVIDDataset',
                     'YouTubeVOSDataset', 'CocoDataset']
    assert cfg.load_from.endswith('.pth') and 'mask_rcnn_r50_fpn' in \
        cfg.load_from
    assert cfg.model.roi_head.bbox_head.num_classes == 80


@pytest.mark.skipif(
    not osp.isfile(CONVERTED),
    reason='run tools/model_converters/mobilenetv2_tv2mmdet.py first')
def test_cpu_model_loads_converted_backbone():
    from mmtao.registry import MODELS
    from mmtao.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(CPU_CFG)
    cfg.model.backbone.init_cfg.checkpoint = CONVERTED
    model = MODELS.build(cfg.model)
    model.init_weights()
    saved = torch.load(CONVERTED, weights_only=True)['state_dict']
    own = model.backbone.state_dict()
    assert set(own) == set(saved)
    for k, v in own.items():
        assert torch.equal(v, saved[k]), k
    # frozen stem + layers 1-4 (CPU budget), later layers train; mmdet's
    # MobileNetV2 freezes in train(), as the Runner calls it
    model.train()
    assert not model.backbone.layer4[0].linear_conv.conv.weight.requires_grad
    assert model.backbone.layer5[0].linear_conv.conv.weight.requires_grad


def _cfg_path(rel: str) -> str:
    return osp.join(REPO_ROOT, rel)


# Table 1 rows 1-2 of the paper: trained "only on videos labeled for
# tracking" (Sec. 4.3), without joint detection training
VIDEO_ONLY_CFGS = [
    'configs/tao/tao_r50-fpn_coco-vid-ytvos_no-det-init.py',
    'configs/tao/tao_r50-fpn_coco-vid-ytvos_no-joint-det.py',
]


@pytest.mark.parametrize('rel', VIDEO_ONLY_CFGS)
def test_video_only_ablations_see_no_coco_image(rel):
    from mmtao.datasets.samplers.mixed_batch_sampler import \
        MixedBatchSampler
    cfg = Config.fromfile(_cfg_path(rel))
    loader = cfg.train_dataloader
    datasets = loader.dataset.datasets
    assert [d.type for d in datasets] == [
        'ImageNetVIDDataset', 'YouTubeVOSDataset'
    ]
    for d in datasets:
        assert 'coco' not in d.data_root.lower()
        assert _types(d.pipeline) & {'ImagePairSampling',
                                     'PackDetInputs'} == set()
    # every sample of every batch is a video pair
    sampler_cfg = {k: v for k, v in loader.sampler.items() if k != 'type'}
    fake = torch.utils.data.ConcatDataset([range(5), range(7)])
    sampler = MixedBatchSampler(fake, seed=0, **sampler_cfg)
    it = iter(sampler)
    drawn = {next(it) for _ in range(50)}
    assert drawn == set(range(12))


def test_joint_ablations_keep_coco():
    """Table 1 rows 3-6 keep joint detection training (and pseudo-pairs)."""
    for name in ('center', 'mean-diff', 'mean-pos'):
        cfg = Config.fromfile(
            _cfg_path(f'configs/tao/tao_r50-fpn_coco-vid-ytvos_{name}.py'))
        types = [d.type for d in cfg.train_dataloader.dataset.datasets]
        assert types.count('CocoDataset') == 2
        assert cfg.train_dataloader.sampler.track_fraction == 0.5


PAIR_CFGS = [
    'configs/tao/tao_mbv2-fpn_320_synthetic.py',
    'configs/tao/tao_r50-fpn_coco-vid-ytvos.py',
    'projects/BoxOnlyTracker/configs/'
    'box-only-tracker_r50-fpn_coco-vid-ytvos.py',
]


@pytest.mark.parametrize('rel', PAIR_CFGS)
def test_pair_pipelines_match_test_time(rel):
    """No Pad (it overwrites img_shape, see test_pair_real_extent.py), the
    flip shared by the two frames, and the paper's whole-video pairs."""
    from mmtao.registry import TRANSFORMS
    from mmtao.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(_cfg_path(rel))
    for d in cfg.train_dataloader.dataset.datasets:
        for step in d.pipeline:
            if step['type'] == 'PairTransforms':
                frame_steps = [t['type'] for t in step['transforms']]
                assert 'Pad' not in frame_steps
                assert 'RandomFlip' in frame_steps
                pair = TRANSFORMS.build(step)
                assert not pair.share_random_params
                assert pair.shared_transforms == ('RandomFlip', )
            if step['type'] == 'SOTPairSampling' and 'r50' in rel:
                assert step['frame_range'] is None
