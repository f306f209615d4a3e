# The CPU-scale tracker: the paper's model (Mask R-CNN + template attention
# + ridge template + separate tracking layers) on an ImageNet MobileNetV2-FPN
# at ~320 px, trained jointly for detection and tracking on the synthetic
# world (real photo cut-outs with exact masks, tools/misc/
# make_synthetic_world.py). Sized for a 2-core CPU: see the README section
# "Training" for the commands, the measured speed and the result.
_base_ = [
    '../_base_/models/tao_mask-rcnn_r50_fpn.py',
    '../_base_/datasets/got10k.py',
    '../_base_/schedules/schedule_iter_sgd.py',
    'mmdet::_base_/default_runtime.py',
]
default_scope = 'mmtao'
custom_imports = dict(imports=['mmtao'], allow_failed_imports=False)

# written by tools/misc/make_synthetic_world.py (see README "Training")
data_root = 'data/synthetic/'
num_classes = 6  # SyntheticCocoDataset: horse coin logo cat cup face
# (w, h): frames are resized to fit 320x240, the search/template crops too
img_scale = (320, 240)
# converted by tools/model_converters/mobilenetv2_tv2mmdet.py
pretrained = 'checkpoints/pretrained/mobilenet_v2_mmdet.pth'
fpn_channels = 64

model = dict(
    backbone=dict(
        _delete_=True,
        type='MobileNetV2',
        out_indices=(1, 2, 4, 7),  # strides 4, 8, 16, 32
        # CPU budget: stem and layers 1-4 (strides 2-16) keep their ImageNet
        # weights; backward through the high-resolution depthwise convs
        # would cost more than the rest of the model
        frozen_stages=4,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,  # batches of 2-4 images: keep ImageNet BN stats
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(
        neck=dict(
            in_channels=[24, 32, 96, 1280],
            out_channels=fpn_channels,
            num_outs=5)),
    template_head=dict(num_negatives=128),
    rpn_head=dict(in_channels=fpn_channels, feat_channels=fpn_channels),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=fpn_channels),
        bbox_head=dict(
            in_channels=fpn_channels,
            fc_out_channels=256,
            num_classes=num_classes),
        mask_roi_extractor=dict(out_channels=fpn_channels),
        mask_head=dict(
            num_convs=2,
            in_channels=fpn_channels,
            conv_out_channels=fpn_channels,
            num_classes=num_classes)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(sampler=dict(num=128)),
        det_loss_weight=1.0,
        track_loss_weight=1.0),
    test_cfg=dict(
        rpn=dict(nms_pre=500, max_per_img=300),
        rcnn=dict(max_per_img=50)))
# test_cfg.temporal: the model base's Sec. 4.2 heuristic (the paper's "Ours")

# ----------------------------------------------------------------- data --
# detection: the synthetic world's COCO json (class-specific heads)
det_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='RandomResize',
        scale=img_scale,
        ratio_range=(0.8, 1.25),
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackDetInputs'),
]
# one frame of a tracking pair: scale / shift jitter, flip (shared by the two
# frames of a pair: PairTransforms), colour. No Pad: it would overwrite
# img_shape, and template negatives and proposals would come from padding;
# PackSOTPairInputs and the data preprocessor pad instead.
pair_frame_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPairAnnotations', with_mask=True),
    dict(
        type='RandomResize',
        scale=img_scale,
        ratio_range=(0.8, 1.4),
        keep_ratio=True),
    dict(
        type='RandomCrop',
        crop_size=img_scale,  # (w, h)
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
    data_root=data_root + 'train/',
    ann_file='annotations/coco.json',
    data_prefix=dict(img=''),
    filter_cfg=dict(filter_empty_gt=True, min_size=4),
    pipeline=det_pipeline)
track_dataset = dict(
    type='GOT10kDataset',
    data_root=data_root + 'train/',
    ann_file='list.txt',
    test_mode=False,
    pipeline=track_pipeline)
coco_pair_dataset = dict(det_dataset, pipeline=coco_pair_pipeline)

batch_size = 4  # 2 detection images + 2 tracking pairs (6 frames) an iter
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(
        type='MixedBatchSampler',
        batch_size=batch_size,
        track_fraction=0.5,
        track_sources=[1, 2],
        # video pairs 3 : 1 COCO pseudo-pairs
        source_weights=[1., 3., 1.]),
    dataset=dict(
        type='ConcatDataset',
        datasets=[det_dataset, track_dataset, coco_pair_dataset]))

# ---------------------------------------------------------------- schedule --
# measured: median 1.36 s/iter with OMP_NUM_THREADS=1 on the shared 2-core
# machine (1.1-4 s with the other jobs' load; two OpenMP threads were 5-20x
# slower there under load); 2400 iterations took 67 min
max_iters = 2400
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters + 1)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[1700, 2200],
        gamma=0.1)
]
# lr 0.02 @ 16 images scaled to 4 samples (6 frames), rounded up
optim_wrapper = dict(optimizer=dict(lr=0.01))
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=200,
        max_keep_ckpts=3),
    visualization=dict(type='DetVisualizationHook', draw=False))
log_processor = dict(window_size=10, by_epoch=False)

# --------------------------------------------------------------- validation --
# GOT-10k AO / SR on the synthetic world's val split (tools/test.py), with the
# temporal heuristic of Sec. 4.2; not run during training (val_interval)
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='PackSOTInputs')
]
val_dataloader = dict(
    dataset=dict(data_root=data_root + 'val/', pipeline=test_pipeline))
test_dataloader = val_dataloader
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
auto_scale_lr = dict(enable=False, base_batch_size=4)
