# The CPU training config (configs/tao/tao_mbv2-fpn_320_synthetic.py) shrunk
# for tests: a width-0.25 MobileNetV2 from scratch, 16-channel FPN and heads,
# 96x72 frames, 1 detection image + 1 tracking pair per iteration. The
# synthetic world's root is given on the command line for each dataset:
# --cfg-options train_dataloader.dataset.datasets.0.data_root=DIR/ (and .1,
# .2; see tests/test_training/test_train_joint.py).
_base_ = '../../../configs/tao/tao_mbv2-fpn_320_synthetic.py'

img_scale = (96, 72)
model = dict(
    backbone=dict(
        widen_factor=0.25, frozen_stages=-1, norm_eval=False, init_cfg=None),
    neck=dict(neck=dict(in_channels=[8, 8, 24, 1280], out_channels=16)),
    template_head=dict(num_negatives=16),
    rpn_head=dict(in_channels=16, feat_channels=16),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=16),
        bbox_head=dict(in_channels=16, fc_out_channels=32),
        mask_roi_extractor=dict(out_channels=16),
        mask_head=dict(in_channels=16, conv_out_channels=16)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=200, max_per_img=50),
        rcnn=dict(sampler=dict(num=32))))

_pair_frame = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPairAnnotations', with_mask=True),
    dict(
        type='RandomResize',
        scale=img_scale,
        ratio_range=(0.9, 1.1),
        keep_ratio=True),
    dict(
        type='RandomCrop',
        crop_size=img_scale,
        recompute_bbox=True,
        allow_negative_crop=False),
    dict(type='RandomFlip', prob=0.5),
]
_det = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='PackDetInputs'),
]
data_root = 'DATA/'  # the tests set datasets.{0,1,2}.data_root
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(
        batch_size=2, track_fraction=0.5, source_weights=[1., 1., 1.]),
    dataset=dict(datasets=[
        dict(
            type='SyntheticCocoDataset',
            data_root=data_root,
            ann_file='annotations/coco.json',
            data_prefix=dict(img=''),
            filter_cfg=dict(filter_empty_gt=True, min_size=2),
            pipeline=_det),
        dict(
            type='GOT10kDataset',
            data_root=data_root,
            ann_file='list.txt',
            pipeline=[
                dict(type='SOTPairSampling', frame_range=5),
                dict(type='PairTransforms', transforms=_pair_frame),
                dict(type='PackSOTPairInputs'),
            ]),
        dict(
            type='SyntheticCocoDataset',
            data_root=data_root,
            ann_file='annotations/coco.json',
            data_prefix=dict(img=''),
            filter_cfg=dict(filter_empty_gt=True, min_size=2),
            pipeline=[
                dict(type='ImagePairSampling', min_size=4),
                dict(type='PairTransforms', transforms=_pair_frame),
                dict(type='PackSOTPairInputs'),
            ]),
    ]))

train_cfg = dict(max_iters=2, val_interval=1000)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
optim_wrapper = dict(optimizer=dict(lr=0.005))
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=2, max_keep_ckpts=-1))
# training only (the CPU config validates on data/synthetic/val/)
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
