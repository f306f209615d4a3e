# The test loop every single-object tracking benchmark shares: frames resized
# as the model was trained, whole videos per rank in frame order
# (VideoSampler), one frame a batch. Frame 0 of every video initialises the
# tracker with its ground-truth box, later frames track. A benchmark's base
# sets the dataset type, data_root and the evaluator.
img_scale = (1333, 800)  # (w, h) the frames are resized to fit

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
    dataset=dict(pipeline=test_pipeline, test_mode=True))
test_dataloader = val_dataloader

val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
