# The real2-crop fine-tune (tao_mbv2-fpn_416_any-object-real2-crop.py)
# continued on both real worlds at once: train_real2 (~60 % of targets in
# their own photo or clip frame) and train_real3 (90 %), so ~75 % in
# context. Why: real3 alone (tao_mbv2-fpn_416_any-object-real3-crop.py)
# gained on large in-context real objects (tower, suit) and lost on static
# small objects beside look-alike stuff (box file, bow tie) that real2's
# pasted-and-blended targets teach; the mix keeps both kinds. Same crops,
# pipelines, LR and length as real3-crop; README "Training".
_base_ = './tao_mbv2-fpn_416_any-object-real3-crop.py'

train_roots = ['data/world/train_real2/', 'data/world/train_real3/']
load_from = 'checkpoints/tao_mbv2-fpn_416_any-object-real2-crop_fp16.pth'

# real3-crop's three datasets (detection, tracking pairs, COCO-style
# pairs), once per world, each world weighted as real3-crop's sampler
# weights its three
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
    pipeline={{_base_.track_pipeline}})
_coco_pair = dict(_det, pipeline={{_base_.coco_pair_pipeline}})
train_dataloader = dict(
    dataset=dict(
        type='ConcatDataset',
        datasets=[
            dict(d, data_root=root) for root in train_roots
            for d in (_det, _track, _coco_pair)
        ]),
    sampler=dict(track_sources=[1, 2, 4, 5], source_weights=[1.0, 3.0, 1.0] * 2))
