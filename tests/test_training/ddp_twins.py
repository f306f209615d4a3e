# Copyright (c) mmtao contributors. All rights reserved.
"""Tiny twins of the shipped training configs, trained under DDP.

A twin keeps what decides how DDP sees the model: the detector type, its
heads and final layers, the template strategy, frozen stages, the mixing
sampler (batch size, track fraction, sources), every dataset's pipeline
(with or without masks) and the config's DDP settings. It shrinks what only
costs time: a ResNet-18 with 8 base channels (MobileNetV2 width 0.25) and
16-channel FPN/heads, the data's 6 classes, 96x72 frames, no pretrained weights, 3 iterations.
Every dataset reads the synthetic world given on the command line
(detection sources as ``SyntheticCocoDataset``, video sources as
``GOT10kDataset``).

Run by tests/test_training/test_ddp_twins.py::

    python -m torch.distributed.run --nproc_per_node 2 \
        tests/test_training/ddp_twins.py WORLD OUT_DIR CONFIG [CONFIG ...]

Each config goes through ``tools/train.py``'s ``main`` (``--launcher
pytorch``); every rank then saves its final state dict to
``OUT_DIR/<config name>/rank<r>.pth``.
"""
import os
import os.path as osp
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

DET_TYPES = ('CocoDataset', 'SyntheticCocoDataset')
SCALE = (96, 72)
MAX_ITERS = 3
WORLD_CLASSES = 6  # SyntheticCocoDataset: horse coin logo cat cup face


def _shrink_pipeline(pipeline: list) -> list:
    out = []
    for step in pipeline:
        step = dict(step)
        kind = step.get('type')
        if kind in ('Resize', 'RandomResize'):
            step['scale'] = SCALE
        elif kind == 'Pad' and 'size' in step:
            step['size'] = (SCALE[0] + 16, SCALE[1] + 8)
        elif kind == 'RandomCrop':
            step['crop_size'] = SCALE
        elif kind == 'ImagePairSampling':
            step['min_size'] = 4
        elif kind == 'PairTransforms':
            step['transforms'] = _shrink_pipeline(step['transforms'])
        out.append(step)
    return out


def make_twin(config: str, world: str):
    """The tiny twin of ``config`` reading the synthetic world ``world``."""
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    model = cfg.model
    if model.backbone.type == 'ResNet':
        model.backbone.update(depth=18, base_channels=8, init_cfg=None)
        in_channels = [8, 16, 32, 64]
    elif model.backbone.type == 'MobileNetV2':
        model.backbone.update(widen_factor=0.25, init_cfg=None)
        in_channels = [8, 8, 24, 1280]
    else:
        raise ValueError(f'{config}: no twin for backbone '
                         f'{model.backbone.type}')
    model.neck.neck.update(in_channels=in_channels, out_channels=16)
    model.template_head.num_negatives = 16
    model.rpn_head.update(in_channels=16, feat_channels=16)
    roi = model.roi_head
    roi.bbox_roi_extractor.out_channels = 16
    # the twin's detection data are the synthetic world's 6 classes
    roi.bbox_head.update(
        in_channels=16, fc_out_channels=32, num_classes=WORLD_CLASSES)
    if roi.get('mask_head') is not None:
        roi.mask_roi_extractor.out_channels = 16
        roi.mask_head.update(
            in_channels=16, conv_out_channels=16, num_classes=WORLD_CLASSES)
    model.train_cfg.rpn_proposal.update(nms_pre=200, max_per_img=50)
    model.train_cfg.rcnn.sampler.num = 32
    cfg.load_from = None

    loader = cfg.train_dataloader
    datasets = []
    for ds in loader.dataset.datasets:
        pipeline = _shrink_pipeline(ds.pipeline)
        if ds.type in DET_TYPES:
            datasets.append(
                dict(
                    type='SyntheticCocoDataset',
                    data_root=world,
                    ann_file='annotations/coco.json',
                    data_prefix=dict(img=''),
                    filter_cfg=dict(filter_empty_gt=True, min_size=2),
                    pipeline=pipeline))
        else:
            datasets.append(
                dict(
                    type='GOT10kDataset',
                    data_root=world,
                    ann_file='list.txt',
                    test_mode=False,
                    pipeline=pipeline))
    loader.dataset.datasets = datasets
    loader.update(num_workers=0, persistent_workers=False)
    cfg.train_cfg.update(max_iters=MAX_ITERS, val_interval=MAX_ITERS + 1)
    cfg.default_hooks.checkpoint.update(interval=1000)
    cfg.default_hooks.logger.interval = 1
    cfg.randomness = dict(seed=0)
    return cfg


def main() -> None:
    world, out_dir, configs = sys.argv[1], sys.argv[2], sys.argv[3:]
    sys.path.insert(0, osp.join(REPO, 'tools'))
    import torch
    import train as train_tool
    from mmengine.dist import get_rank
    rank = int(os.environ['RANK'])
    for config in configs:
        name = osp.splitext(osp.basename(config))[0]
        work_dir = osp.join(out_dir, name)
        os.makedirs(work_dir, exist_ok=True)
        twin = osp.join(work_dir, f'{name}_twin_r{rank}.py')
        make_twin(config, world).dump(twin)
        sys.argv = [
            'train.py', twin, '--launcher', 'pytorch', '--work-dir', work_dir
        ]
        runner = train_tool.main()
        state = runner.model.module.state_dict()
        torch.save({k: v.detach().cpu()
                    for k, v in state.items()},
                   osp.join(work_dir, f'rank{get_rank()}.pth'))
    # as tools/train.py does: a gloo group left alive can abort at exit
    from mmtao.utils.dist import shutdown_dist
    shutdown_dist()


if __name__ == '__main__':
    main()
