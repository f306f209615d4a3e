# The tracker's checkpoint as a COCO detector (no template: attention off,
# class-specific heads): box and mask AP with mmdet's CocoMetric.
_base_ = [
    '../_base_/models/tao_mask-rcnn_r50_fpn.py',
    '../_base_/datasets/coco_detection.py', 'mmdet::_base_/default_runtime.py'
]
default_scope = 'mmtao'
custom_imports = dict(imports=['mmtao'], allow_failed_imports=False)
