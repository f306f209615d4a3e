# The paper's tracker ("Learning to Track Any Object", Sec. 3-4.2; Table 1
# row "lin. reg.", Tables 2-3 "Ours w/o temporal"): Mask R-CNN R50-FPN with
# template attention, the ridge (discriminative) template and separate
# class-agnostic tracking box/mask layers, initialised from OpenMMLab's COCO
# Mask R-CNN ("Det Init") and fine-tuned jointly for detection on COCO and
# for tracking on (template, search) pairs of ImageNet VID (boxes only: no
# mask loss) and YouTube-VOS (boxes and masks) ("Joint Det Train", Sec. 3.5).
#
# The bases are exactly those of mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py
# (model, COCO, schedule, runtime) with the model base replaced by
# ../_base_/models/tao_mask-rcnn_r50_fpn.py, which inherits mmdet's
# Mask R-CNN model base and changes only what the tracker needs.
# (mmengine forbids one key in two bases, so mmdet's composite config itself
# cannot be a second base next to the tracker's model.)
#
# This is the GPU configuration (8 GPUs x 2 samples); it cannot be trained
# on a 2-core CPU. configs/tao/tao_mbv2-fpn_320_synthetic.py is the same
# model at CPU scale.
_base_ = [
    '../_base_/models/tao_mask-rcnn_r50_fpn.py',
    'mmdet::_base_/datasets/coco_instance.py',
    '../_base_/schedules/schedule_iter_sgd.py',
    'mmdet::_base_/default_runtime.py',
]
default_scope = 'mmtao'
custom_imports = dict(imports=['mmtao'], allow_failed_imports=False)

# OpenMMLab's COCO Mask R-CNN R50-FPN 1x (box AP 38.2, mask AP 34.7): every
# key loads; only the tracking layers (fc_cls_track, fc_reg_track,
# conv_logits_track) start from scratch.
load_from = 'https://download.openmmlab.com/mmdetection/v2.0/mask_rcnn/' \
    'mask_rcnn_r50_fpn_1x_coco/mask_rcnn_r50_fpn_1x_coco_20200205-d4b0c5d6.pth'
# the detector is already trained: no ImageNet backbone init on top of it
model = dict(backbone=dict(init_cfg=None))

coco_root = 'data/coco/'
vid_root = 'data/ILSVRC2015/'
ytvos_root = 'data/youtube_vos/'
img_scale = (1333, 800)

# detection samples: mmdet's COCO Mask R-CNN pipeline
det_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
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
    dict(type='LoadPairAnnotations', with_mask=True),
    dict(
        type='RandomResize',
        scale=img_scale,
        ratio_range=(0.9, 1.1),
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
]
track_pipeline = [
    # template and search anywhere in the video (Sec. 3.5, footnote 1)
    dict(type='SOTPairSampling', frame_range=None),
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
        dict(type='ImagePairSampling', min_size=16),
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

# a batch may hold only detection images or only tracking pairs, leaving the
# other mode's final layers without gradient: DDP must allow that
find_unused_parameters = True

# evaluation during training: COCO detection (the tracker stays a detector)
val_evaluator = dict(metric=['bbox', 'segm'])
test_evaluator = val_evaluator
# mmdet's coco_instance base brings the dataloader and evaluator; the loops
# come with mmdet's schedule bases, which this config does not use
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=10000))
log_processor = dict(by_epoch=False)
