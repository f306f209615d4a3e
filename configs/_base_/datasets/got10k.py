# GOT-10k val (or any folder in its layout: list.txt, <seq>/00000001.jpg,
# groundtruth.txt, absence.label, cover.label), evaluated frame by frame:
# frame 0 initialises the tracker with the ground-truth box, later frames
# track. Metrics: AO, SR0.5, SR0.75 (official toolkit semantics); the
# submission folder (<seq>/<seq>_001.txt, _time.txt, presence scores) and
# got10k_submission.zip are written to the work_dir.
dataset_type = 'GOT10kDataset'
data_root = 'data/got10k/val/'
# (w, h) the frames are resized to fit, as the model was trained
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
    # whole videos per rank, frames in order
    sampler=dict(type='VideoSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='list.txt',
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = val_dataloader

val_evaluator = dict(type='GOT10kMetric')
test_evaluator = val_evaluator

val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
