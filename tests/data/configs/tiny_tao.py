# A tiny tracker (ResNet-18 with 8 base channels, 16-channel FPN) built from
# the paper's model config (model only; tiny_tao_got10k.py adds the data).
_base_ = '../../../configs/_base_/models/tao_mask-rcnn_r50_fpn.py'

model = dict(
    backbone=dict(
        depth=18, base_channels=8, norm_eval=False, frozen_stages=-1,
        init_cfg=None),
    neck=dict(neck=dict(in_channels=[8, 16, 32, 64], out_channels=16)),
    template_head=dict(num_negatives=32),
    rpn_head=dict(in_channels=16, feat_channels=16),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=16),
        bbox_head=dict(in_channels=16, fc_out_channels=32, num_classes=2),
        mask_roi_extractor=dict(out_channels=16),
        mask_head=dict(in_channels=16, conv_out_channels=16, num_classes=2)))
# test_cfg.temporal: the model base's (the paper's Sec. 4.2 heuristic)

