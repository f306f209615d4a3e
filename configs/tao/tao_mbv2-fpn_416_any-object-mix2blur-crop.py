# mix-crop (tao_mbv2-fpn_416_any-object-mix-crop.py) continued as
# tao_mbv2-fpn_416_any-object-mix2-crop.py (same worlds, crops, sampler,
# 1200 iterations), with motion blur on the tracking pairs' frames: a
# hand-held camera blurs whole frames whenever it or the object moves
# fast (on the real-motion tuning split the tracks are lost on blurred
# frames), while the synthetic worlds blur only their jumps. Each frame of
# a pair is blurred independently with probability 0.3 along a random
# direction over 1-6 % of its longer side (RandomMotionBlur, after the
# colour jitter). The detection images are unchanged. README "Training".
_base_ = './tao_mbv2-fpn_416_any-object-mix2-crop.py'

pair_frame_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPairAnnotations', with_mask=True),
    # the search window or the whole frame, drawn per frame
    dict(
        type='RandomChoice',
        transforms=[[{{_base_.search_crop}}], {{_base_.whole_frame}}],
        prob=[0.5, 0.5]),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='RandomMotionBlur', prob=0.3, length=(0.01, 0.06)),
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
train_roots = ['data/world/train_real2/', 'data/world/train_real3/']
_det = dict(
    type='SyntheticCocoDataset',
    ann_file='annotations/coco.json',
    data_prefix=dict(img=''),
    metainfo={{_base_.metainfo}},
    filter_cfg=dict(filter_empty_gt=True, min_size=4),
    pipeline={{_base_.det_pipeline}})
_track = dict(
    type='GOT10kDataset',
    ann_file='list.txt',
    test_mode=False,
    pipeline=track_pipeline)
_coco_pair = dict(_det, pipeline=coco_pair_pipeline)
train_dataloader = dict(
    dataset=dict(
        type='ConcatDataset',
        datasets=[
            dict(d, data_root=root) for root in train_roots
            for d in (_det, _track, _coco_pair)
        ]))
