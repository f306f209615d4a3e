# BoxOnlyTracker on the OxUvA dev set (long-term): TPR, TNR, MaxGM and the
# TPR-vs-FPR AUC, with the paper's temporal heuristic (Sec. 4.2) on box IoU
# (no masks). Pass the trained tracker's checkpoint to tools/test.py.
_base_ = [
    './box-only-tracker_r50-fpn.py',
    '../../../configs/_base_/datasets/oxuva.py'
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
