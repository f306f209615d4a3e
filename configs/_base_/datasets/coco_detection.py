# COCO val2017 in detection mode (no template: attention off, class-specific
# heads): mmdet's CocoMetric, box and mask AP, on the tracker's checkpoint.
_base_ = 'mmdet::_base_/datasets/coco_instance.py'

# evaluation only: mmengine's Runner wants the train dataloader, train_cfg
# and optimizer all set or all unset
train_dataloader = None
# the loops the Runner runs on the val / test dataloaders
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
