# "Train as you track": the real2 fine-tune (tao_mbv2-fpn_416_any-object-real2.py)
# continued with half of the pair frames cropped the way the search region
# crops a test frame (SearchCrop: a window of 3-5 object sizes around the
# target, shifted by up to 0.75 object sizes, resampled so the target is
# 32-128 input pixels across, at most 416x320). The other half stays
# whole-frame (RandomResize + RandomCrop as before): the search window
# widens to the whole frame when the object is lost. Template and search
# frame draw independently, as at test time each frame has its own window.
# The detection pipeline is unchanged. See README "Training".
_base_ = './tao_mbv2-fpn_416_any-object-real2.py'

load_from = 'checkpoints/tao_mbv2-fpn_416_any-object-real2_fp16.pth'
img_scale = (416, 312)

search_crop = dict(
    type='SearchCrop',
    prob=1.0,
    input_size=(416, 320),
    object_px=(32, 128),
    context_range=(3, 5),
    jitter=0.75,
    max_zoom=4.0)
whole_frame = [
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
]
pair_frame_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPairAnnotations', with_mask=True),
    # the search window or the whole frame, drawn per frame
    dict(
        type='RandomChoice',
        transforms=[[search_crop], whole_frame],
        prob=[0.5, 0.5]),
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
train_root = {{_base_.train_root}}
_det = dict(
    type='SyntheticCocoDataset',
    data_root=train_root,
    ann_file='annotations/coco.json',
    data_prefix=dict(img=''),
    metainfo={{_base_.metainfo}},
    filter_cfg=dict(filter_empty_gt=True, min_size=4),
    pipeline={{_base_.det_pipeline}})
_track = dict(
    type='GOT10kDataset',
    data_root=train_root,
    ann_file='list.txt',
    test_mode=False,
    pipeline=track_pipeline)
_coco_pair = dict(_det, pipeline=coco_pair_pipeline)
train_dataloader = dict(
    dataset=dict(type='ConcatDataset', datasets=[_det, _track, _coco_pair]))

# A short schedule at the real2 LR: 50-iteration warm-up, steps at 75 / 90 %.
# 1500 iterations: ~1 h at the 2.2-2.4 s/iteration measured over the first
# 30 iterations here (one thread, the lead's jobs on the other core), to
# end within the session (README "Training").
max_iters = 1500
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[1125, 1350],
        gamma=0.1)
]
