# The tracker of "Learning to Track Any Object" (Dave et al.): mmdet's
# Mask R-CNN R50-FPN with template attention, a discriminative (ridge)
# template and separate class-agnostic tracking box/mask layers. Only what
# the tracker needs is changed; an OpenMMLab Mask R-CNN checkpoint loads into
# it with every key consumed (the tracking layers start from scratch).
_base_ = 'mmdet::_base_/models/mask-rcnn_r50_fpn.py'

model = dict(
    # the mmdet base marks this dict _scope_='mmdet'; mmtao's registry is a
    # child of mmdet's, so mmdet's types still resolve
    _scope_='mmtao',
    type='JointSOTDetector',
    # splits mixed detection / tracking-pair batches (data contract §4)
    data_preprocessor=dict(type='JointDataPreprocessor'),
    # FPN wrapped with attention P_i <- P_i * (P_i ⋆ T_d); off in detection.
    # The FPN's own settings stay under neck.neck.
    neck=dict(
        _delete_=True,
        type='TemplateAttentionNeck',
        normalize='none',  # the paper: raw dot product
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
    roi_head=dict(
        type='JointRoIHead',
        bbox_head=dict(type='JointShared2FCBBoxHead'),
        mask_head=dict(type='JointFCNMaskHead')),
    train_cfg=dict(det_loss_weight=1.0, track_loss_weight=1.0),
    test_cfg=dict(
        # tracking needs far fewer proposals than detection: one object,
        # and its attended features already single it out. Measured on the
        # CPU-scale model (synthetic val, 531 frames): 50 proposals / 5
        # candidates track as well as 100 / 8 (mean IoU 0.392 vs 0.379) in
        # 0.73x the time; mmcv's CPU RoIAlign dominates the heads' cost.
        track=dict(
            rpn=dict(
                nms_pre=100,
                max_per_img=50,
                nms=dict(type='nms', iou_threshold=0.7),
                min_bbox_size=0),
            rcnn=dict(
                score_thr=0.0,
                nms=dict(type='nms', iou_threshold=0.5),
                max_per_img=5,  # k candidates for the temporal smoother
                mask_thr_binary=0.5)),
        # Sec. 4.2 temporal heuristic, the paper's "Ours" rows (every
        # benchmark config); the "w/o temporal" rows set temporal=None: the
        # top-scoring candidate of every frame is the track
        temporal=dict(
            type='TemporalSmoother',
            alpha=0.6,
            low_iou=0.1,
            recover_iou=0.3,
            recover_frames=30)))
