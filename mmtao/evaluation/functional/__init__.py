# Copyright (c) mmtao contributors. All rights reserved.
from .eval_davis import (db_eval_boundary, db_eval_iou, db_statistics,
                         eval_davis, f_measure, seg2bmap)
from .eval_got10k import eval_got10k, got10k_rect_iou, xyxy_to_xywh
from .eval_oxuva import (assess_frames, clipped_iou, eval_oxuva,
                         max_geometric_mean_line, oxuva_quality, roc_auc,
                         tpr_fpr_curve)
from .eval_sot_ope import (IOU_THRS, PIXEL_THRS, aligned_bbox_overlaps,
                           eval_sot_ope, success_error, success_overlap)
from .eval_vot_lt import (determine_thresholds, eval_vot_lt, pr_re_curves,
                          vot_overlaps)

__all__ = [
    'IOU_THRS', 'PIXEL_THRS', 'eval_sot_ope', 'success_overlap',
    'success_error',
    'aligned_bbox_overlaps', 'eval_got10k', 'got10k_rect_iou',
    'xyxy_to_xywh', 'eval_oxuva', 'assess_frames', 'clipped_iou',
    'max_geometric_mean_line', 'oxuva_quality', 'tpr_fpr_curve', 'roc_auc',
    'eval_vot_lt', 'determine_thresholds', 'pr_re_curves', 'vot_overlaps', 'eval_davis',
    'db_eval_iou', 'db_eval_boundary', 'f_measure', 'seg2bmap',
    'db_statistics'
]
