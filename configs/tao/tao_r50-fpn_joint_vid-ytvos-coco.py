# The paper's training (Sec. 3.5, 4.1): the Mask R-CNN R50-FPN tracker,
# initialised from an OpenMMLab COCO Mask R-CNN (the "Det Init" of Table 1),
# fine-tuned jointly for detection (COCO, class-specific layers, attention
# off) and tracking (pairs from ImageNet VID and YouTube-VOS, class-agnostic
# layers, attention on; COCO pseudo-pairs as well). ImageNet VID has no
# masks, so its pairs train no mask loss. Validation: GOT-10k val.
#
# This is the GPU configuration (8 GPUs x 2 samples: tools/dist_train.sh
# CONFIG 8); one iteration takes ~17 s on the 2-core CPU of the project
# machines, see tao_mbv2-fpn_320_synthetic.py for the model trained there.
# The paper gives no fine-tuning schedule: mmdet's Mask R-CNN recipe counted
# in iterations is used (configs/_base_/schedules/schedule_iter_sgd.py).
_base_ = [
    '../_base_/models/tao_mask-rcnn_r50_fpn.py',
    '../_base_/datasets/got10k.py',
    '../_base_/schedules/schedule_iter_sgd.py',
    'mmdet::_base_/default_runtime.py',
]
default_scope = 'mmtao'
custom_imports = dict(imports=['mmtao'], allow_failed_imports=False)

# mmdet's COCO Mask R-CNN R50-FPN 1x (box AP 38.2, mask AP 34.7)
load_from = 'https://download.openmmlab.com/mmdetection/v2.0/mask_rcnn/' \
    'mask_rcnn_r50_fpn_1x_coco/mask_rcnn_r50_fpn_1x_coco_20200205-d4b0c5d6.pth'
model = dict(
    # the weights come from load_from; the detection head keeps COCO's 80
    # classes (base config)
    backbone=dict(init_cfg=None),
    # the temporal heuristic of Sec. 4.2 for the GOT-10k validation
    test_cfg=dict(
        temporal=dict(
            _delete_=True,
            type='TemporalSmoother',
            alpha=0.6,
            low_iou=0.1,
            recover_iou=0.3,
            recover_frames=30)))

coco_root = 'data/coco/'
vid_root = 'data/ILSVRC2015/'
ytvos_root = 'data/youtube_vos/'
img_scale = (1333, 800)

det_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
# one frame of a tracking pair: scale / shift jitter, flip, colour; both
# frames padded to one size so template_bbox stays valid after batching
pair_frame_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPairAnnotations', with_mask=True),
    dict(
        type='RandomResize',
        scale=img_scale,
        ratio_range=(0.8, 1.25),
        keep_ratio=True),
    dict(
        type='RandomCrop',
        crop_size=img_scale,
        recompute_bbox=True,
        allow_negative_crop=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='Pad', size=img_scale),
]
pair_steps = [
    dict(type='PairTransforms', transforms=pair_frame_pipeline),
    dict(type='PackSOTPairInputs'),
]


coco_train = dict(
    type='CocoDataset',
    data_root=coco_root,
    ann_file='annotations/instances_train2017.json',
    data_prefix=dict(img='train2017/'),
    filter_cfg=dict(filter_empty_gt=True, min_size=32),
    pipeline=det_pipeline)
datasets = [
    coco_train,
    # pairs within 100 frames of each other (footnote 1: template and search
    # drawn at random from the video)
    dict(
        type='ImageNetVIDDataset',
        data_root=vid_root,
        ann_file='annotations/imagenet_vid_train_sot.json',
        pipeline=[dict(type='SOTPairSampling', frame_range=100)] +
        pair_steps),
    # YouTube-VOS train keeps every 5th frame: 20 stored frames ~ 100 frames
    dict(
        type='YouTubeVOSDataset',
        data_root=ytvos_root,
        split='train',
        pipeline=[dict(type='SOTPairSampling', frame_range=20)] +
        pair_steps),
    dict(
        coco_train,
        pipeline=[dict(type='ImagePairSampling', min_size=16)] +
        pair_steps),
]

batch_size = 2  # per GPU: 1 detection image + 1 tracking pair
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(
        type='MixedBatchSampler',
        batch_size=batch_size,
        track_fraction=0.5,
        track_sources=[1, 2, 3],
        # the video datasets drive tracking; COCO pseudo-pairs add variety
        source_weights=[1., 1., 1., 0.5]),
    dataset=dict(type='ConcatDataset', datasets=datasets))

# every batch holds both tasks with track_fraction in (0, 1); with 0 or 1 one
# task's final layers get no gradient, which DDP must be told about
find_unused_parameters = True

val_dataloader = dict(dataset=dict(data_root='data/got10k/val/'))
test_dataloader = val_dataloader

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=5000,
        max_keep_ckpts=3))
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)
env_cfg = dict(dist_cfg=dict(backend='nccl'))
