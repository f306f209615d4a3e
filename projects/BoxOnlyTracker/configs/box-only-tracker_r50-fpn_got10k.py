# BoxOnlyTracker on GOT-10k val: AO, SR0.5, SR0.75 and the submission files,
# with the paper's temporal heuristic (Sec. 4.2) on box IoU (no masks). Pass
# the trained tracker's checkpoint to tools/test.py. For the test split
# (server submission only) add
# --cfg-options test_dataloader.dataset.data_root=data/got10k/test/
# test_evaluator.format_only=True
_base_ = [
    './box-only-tracker_r50-fpn.py',
    '../../../configs/_base_/datasets/got10k.py'
]

model = dict(
    test_cfg=dict(
        temporal=dict(
            _delete_=True,
            type='TemporalSmoother',
            alpha=0.6,
            low_iou=0.1,
            recover_iou=0.3,
            recover_frames=30)))
