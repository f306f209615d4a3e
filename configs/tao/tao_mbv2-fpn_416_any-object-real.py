# The CPU tracker of any object, fine-tuned on the world without the paste
# shortcut (tools/misc/make_synthetic_world.py --world real: targets left in
# their own photo and moved by camera + local warps, blended pastes,
# unlabelled clutter, targets up to 0.9 of the short side) and at the scale
# it tracks at: the world is rendered and the pairs are trained at 416x312,
# the tracking input. Network, heads and test settings are the shipped
# any-object model's (tao_mbv2-fpn_320_any-object.py), which this config
# starts from. See README "Training" for the commands and results.
_base_ = './tao_mbv2-fpn_320_any-object.py'

data_root = 'data/world/'
train_root = data_root + 'train_real/'
img_scale = (416, 312)  # (w, h): the tracking input of the base config
# Fine-tuning: the shipped model already tracks (unseen AO 0.347); what
# changes is the world (in-context targets, blending, sizes) and the
# scale. A session's CPU budget is ~1 h of a core shared with ~20 other
# processes (5-6 s/iteration at 416x312 under that load), so 700
# iterations at half the base LR, a 50-iteration warm-up, two steps at
# 75 / 90 %.
load_from = 'checkpoints/tao_mbv2-fpn_320_any-object_fp16.pth'
# every weight, the backbone's too, comes from load_from
model = dict(backbone=dict(init_cfg=None))

det_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='RandomResize',
        scale=img_scale,
        ratio_range=(0.7, 1.1),
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackDetInputs'),
]
# scale jitter 0.7-1.1 (the base: 0.8-1.4 at 320x240): a target of 0.9 of
# the short side is cut by the crop less often, small ones shrink, and the
# frames cost less (mean area 0.8x)
pair_frame_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPairAnnotations', with_mask=True),
    dict(
        type='RandomResize',
        scale=img_scale,
        ratio_range=(0.7, 1.1),
        keep_ratio=True),
    dict(
        type='RandomCrop',
        crop_size=img_scale,
        recompute_bbox=True,
        allow_negative_crop=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
]
track_pipeline = [
    dict(type='SOTPairSampling', frame_range=50),
    dict(type='PairTransforms', transforms=pair_frame_pipeline),
    dict(type='PackSOTPairInputs'),
]
coco_pair_pipeline = [
    dict(type='ImagePairSampling', min_size=8),
    dict(type='PairTransforms', transforms=pair_frame_pipeline),
    dict(type='PackSOTPairInputs'),
]
det_dataset = dict(
    type='SyntheticCocoDataset',
    data_root=train_root,
    ann_file='annotations/coco.json',
    data_prefix=dict(img=''),
    metainfo={{_base_.metainfo}},
    filter_cfg=dict(filter_empty_gt=True, min_size=4),
    pipeline=det_pipeline)
track_dataset = dict(
    type='GOT10kDataset',
    data_root=train_root,
    ann_file='list.txt',
    test_mode=False,
    pipeline=track_pipeline)
coco_pair_dataset = dict(det_dataset, pipeline=coco_pair_pipeline)
train_dataloader = dict(
    dataset=dict(
        type='ConcatDataset',
        datasets=[det_dataset, track_dataset, coco_pair_dataset]))

max_iters = 700
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
optim_wrapper = dict(optimizer=dict(lr=0.0025))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        by_epoch=False,
        begin=0,
        end=50),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[520, 630],
        gamma=0.1)
]
default_hooks = dict(checkpoint=dict(interval=100, max_keep_ckpts=20))
