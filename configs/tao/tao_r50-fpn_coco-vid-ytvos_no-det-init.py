# Table 1 ablation, row 1 ("Det Init?" no, "Joint Det Train?" no): row 2
# without the COCO Mask R-CNN initialisation (ImageNet backbone only).
_base_ = './tao_r50-fpn_coco-vid-ytvos_no-joint-det.py'

load_from = None
model = dict(
    backbone=dict(
        init_cfg=dict(
            _delete_=True,
            type='Pretrained',
            checkpoint='torchvision://resnet50')))
