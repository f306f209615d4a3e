# BoxOnlyTracker: the tracker of "Learning to Track Any Object" without the
# mask branch. mmdet's Faster R-CNN R50-FPN with mmtao's template attention
# neck, ridge template head and joint (detection + tracking) box head; no
# mask RoI extractor or mask head. An OpenMMLab Faster R-CNN checkpoint loads
# into it with every key consumed (only the tracking layers fc_cls_track and
# fc_reg_track start from scratch). The tracker settings below are the ones of
# configs/_base_/models/tao_mask-rcnn_r50_fpn.py minus the mask options
# (tests/test_projects/test_box_only_tracker.py keeps the two in step).
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
    'mmdet::_base_/default_runtime.py'
]

default_scope = 'mmtao'
custom_imports = dict(imports=['mmtao'], allow_failed_imports=False)

# OpenMMLab's COCO Faster R-CNN R50-FPN 1x (box AP 37.4), the starting point
# of training; tools/test.py replaces it with the checkpoint it is given
load_from = 'https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/' \
    'faster_rcnn_r50_fpn_1x_coco/' \
    'faster_rcnn_r50_fpn_1x_coco_20200130-047c8118.pth'

model = dict(
    # the mmdet base marks this dict _scope_='mmdet'; mmtao's registry is a
    # child of mmdet's, so mmdet's types still resolve
    _scope_='mmtao',
    type='JointSOTDetector',
    # the detector is already trained: no ImageNet backbone init on top of it
    backbone=dict(init_cfg=None),
    # splits mixed detection / tracking-pair batches (data contract §4)
    data_preprocessor=dict(type='JointDataPreprocessor'),
    # FPN wrapped with attention P_i <- P_i * (P_i ⋆ T_d); off in detection.
    # The FPN's own settings stay under neck.neck.
    neck=dict(
        _delete_=True,
        type='TemplateAttentionNeck',
        normalize='none',
        neck=dict(
            type='FPN',
            in_channels=[256, 512, 1024, 2048],
            out_channels=256,
            num_outs=5)),
    # T_d of Eq. 1-3; featmap_strides / finest_scale follow the RoI extractor
    template_head=dict(
        type='RidgeTemplateHead',
        strategy='ridge',
        num_negatives=256,
        grid_size=3,
        reg=0.1,
        reg_mode='relative',
        seed=0),
    # mmdet's RPNHead (same layers and keys) with a batched path for the K
    # templates of one frame
    rpn_head=dict(type='TrackingRPNHead'),
    # box branch only: JointRoIHead builds no mask head when none is given
    roi_head=dict(
        type='JointRoIHead', bbox_head=dict(type='JointShared2FCBBoxHead')),
    train_cfg=dict(det_loss_weight=1.0, track_loss_weight=1.0),
    test_cfg=dict(
        track=dict(
            rpn=dict(
                nms_pre=100,
                max_per_img=50,
                nms=dict(type='nms', iou_threshold=0.7),
                min_bbox_size=0),
            rcnn=dict(
                score_thr=0.0,
                nms=dict(type='nms', iou_threshold=0.5),
                max_per_img=5)),  # k candidates for the temporal smoother
        # Sec. 4.2 temporal heuristic (box IoU without masks); None = top-1
        temporal=None))
