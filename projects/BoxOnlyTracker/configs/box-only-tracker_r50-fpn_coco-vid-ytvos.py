# BoxOnlyTracker training: the paper's joint recipe (Sec. 3.5) without masks.
# Initialised from OpenMMLab's COCO Faster R-CNN (load_from of the model
# config) and fine-tuned for detection on COCO and for tracking on (template,
# search) pairs of ImageNet VID and YouTube-VOS. The data are those of
# configs/tao/tao_r50-fpn_coco-vid-ytvos.py with every mask load turned off
# (mmdet's COCO detection pipeline for COCO), the schedule is the same.
#
# This is the GPU configuration (8 GPUs x 2 samples); it cannot be trained
# on a 2-core CPU.
_base_ = [
    './box-only-tracker_r50-fpn.py',
    'mmdet::_base_/datasets/coco_detection.py',
    '../../../configs/_base_/schedules/schedule_iter_sgd.py'
]

coco_root = 'data/coco/'
vid_root = 'data/ILSVRC2015/'
ytvos_root = 'data/youtube_vos/'
img_scale = (1333, 800)

# detection samples: mmdet's COCO Faster R-CNN pipeline
det_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
# one frame of a tracking pair; the flip is shared by the two frames of a pair
# (PairTransforms). No Pad: it would overwrite img_shape, and template
# negatives and proposals would come from padding; PackSOTPairInputs pads the
# two frames to a common size and the data preprocessor pads the batch.
pair_frame_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPairAnnotations', with_mask=False),
    dict(
        type='RandomResize',
        scale=img_scale,
        ratio_range=(0.9, 1.1),
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
]
track_pipeline = [
    # template and search anywhere in the video (Sec. 3.5, footnote 1)
    # no masks: YouTube-VOS has them, the pair must not announce them
    dict(type='SOTPairSampling', frame_range=None, with_mask=False),
    dict(type='PairTransforms', transforms=pair_frame_pipeline),
    dict(type='PackSOTPairInputs'),
]

det_dataset = dict(
    type='CocoDataset',
    data_root=coco_root,
    ann_file='annotations/instances_train2017.json',
    data_prefix=dict(img='train2017/'),
    filter_cfg=dict(filter_empty_gt=True, min_size=32),
    pipeline=det_pipeline)
vid_dataset = dict(
    type='ImageNetVIDDataset',
    data_root=vid_root,
    ann_file='annotations/imagenet_vid_train_sot.json',
    test_mode=False,
    pipeline=track_pipeline)
ytvos_dataset = dict(
    type='YouTubeVOSDataset',
    data_root=ytvos_root,
    split='train',
    test_mode=False,
    pipeline=track_pipeline)
# COCO pseudo-pairs: one image augmented twice, for more object variety
coco_pair_dataset = dict(
    det_dataset,
    pipeline=[
        dict(type='ImagePairSampling', min_size=16, with_mask=False),
        dict(type='PairTransforms', transforms=pair_frame_pipeline),
        dict(type='PackSOTPairInputs'),
    ])

batch_size = 2  # per GPU: one COCO image + one tracking pair
train_dataloader = dict(
    _delete_=True,
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
    dataset=dict(
        type='ConcatDataset',
        datasets=[det_dataset, vid_dataset, ytvos_dataset,
                  coco_pair_dataset]))

# evaluation during training: COCO box AP (the tracker stays a detector)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=10000))
log_processor = dict(by_epoch=False)
