# LaSOT test set, one-pass evaluation (success AUC, precision @20 px,
# normalised precision @0.2) with MMTracking 1.x semantics: frames where the
# target is fully occluded / out of view count as failures.
dataset_type = 'LaSOTDataset'
data_root = 'data/lasot/'
img_scale = (1333, 800)

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='PackSOTInputs')
]
val_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='VideoSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='SOTMetric', only_eval_visible=True, dataset_type='lasot')
test_evaluator = val_evaluator

val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
