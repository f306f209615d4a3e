# COCO val2017 in detection mode (no template: attention off, class-specific
# heads): mmdet's CocoMetric, box and mask AP, on the tracker's checkpoint.
_base_ = 'mmdet::_base_/datasets/coco_instance.py'
