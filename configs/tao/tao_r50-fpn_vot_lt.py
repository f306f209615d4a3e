# VOT2018-LT / LTB35: tracking precision, recall, F (Table 4), with the
# paper's temporal heuristic (Sec. 4.2, the "Ours" rows). The model is the
# paper's Mask R-CNN R50-FPN tracker; pass its checkpoint to tools/test.py.
_base_ = [
    '../_base_/models/tao_mask-rcnn_r50_fpn.py',
    '../_base_/datasets/vot_lt.py', 'mmdet::_base_/default_runtime.py'
]
default_scope = 'mmtao'
custom_imports = dict(imports=['mmtao'], allow_failed_imports=False)

model = dict(
    test_cfg=dict(
        temporal=dict(
            _delete_=True,
            type='TemporalSmoother',
            alpha=0.6,
            low_iou=0.1,
            recover_iou=0.3,
            recover_frames=30)))
