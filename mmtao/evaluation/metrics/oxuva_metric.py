# Copyright (c) mmtao contributors. All rights reserved.
import os.path as osp
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
from mmengine.logging import print_log

from mmtao.evaluation.functional import eval_oxuva
from mmtao.registry import METRICS
from .base_sot_metric import BaseSOTMetric
from .result_writers import write_oxuva_track


@METRICS.register_module()
class OxUvAMetric(BaseSOTMetric):
    """OxUvA TPR, TNR, GM, MaxGM and the TPR-vs-FPR AUC.

    A frame is reported present iff its presence score is ``>= score_thr``
    (see :func:`mmtao.evaluation.functional.eval_oxuva`). The first frame
    (initialisation) is not assessed. Predictions are written as OxUvA
    CSVs ``<outfile_prefix>/oxuva/<video>_<object>.csv``; ``seq_name`` is
    split at its last ``_`` into video and object (``vid0001_obj0000``),
    names without ``_`` get the object ``obj0000``.

    OxUvA labels one frame a second; only labelled frames are assessed.
    With ``sparse_annotations=True`` every sample must carry the metainfo
    flag ``annotated`` (True on labelled frames, present or absent) and a
    missing flag is an error; with False, every frame counts as labelled
    (datasets annotated densely).

    Args:
        score_thr (float): Presence threshold. Defaults to 0.5.
        sparse_annotations (bool): Require the ``annotated`` flag. Defaults
            to False.
        iou_thr (float): IoU of a TP. Defaults to 0.5.
        outfile_prefix (str, optional): Output directory.
        format_only (bool): Only write the CSVs.
        collect_device (str): Defaults to 'cpu'.
        prefix (str, optional): Defaults to 'oxuva'.
    """
    default_prefix: Optional[str] = 'oxuva'

    def __init__(self,
                 score_thr: float = 0.5,
                 sparse_annotations: bool = False,
                 iou_thr: float = 0.5,
                 outfile_prefix: Optional[str] = None,
                 format_only: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(outfile_prefix, format_only, collect_device, prefix)
        self.score_thr = score_thr
        self.sparse_annotations = sparse_annotations
        self.iou_thr = iou_thr

    @staticmethod
    def split_name(seq_name: str) -> Tuple[str, str]:
        if '_' in seq_name:
            video, obj = seq_name.rsplit('_', 1)
            return video, obj
        return seq_name, 'obj0000'

    def compute_video_metrics(
            self, videos: List[Dict[str, Any]]) -> Dict[str, float]:
        out_dir = osp.join(self.get_outfile_dir(), 'oxuva')
        for v in videos:
            video, obj = self.split_name(v['seq_name'])
            boxes = self.boxes_or_zeros(v['pred_bboxes'])
            present = (v['pred_scores'] >= self.score_thr) & np.isfinite(
                v['pred_bboxes']).all(1)
            write_oxuva_track(out_dir, video, obj,
                              np.arange(len(boxes)), boxes, v['pred_scores'],
                              present, v['img_size'])
        print_log(f'OxUvA predictions of {len(videos)} tracks written to '
                  f'{out_dir}', logger='current')
        if self.format_only or not self.has_ground_truth(videos):
            return {}
        keep = []
        for v in videos:
            if v['annotated'] is None:
                if self.sparse_annotations:
                    raise KeyError(
                        f"OxUvAMetric: the samples of {v['seq_name']} carry "
                        "no 'annotated' metainfo flag; with "
                        'sparse_annotations=True it tells labelled absent '
                        'frames from unlabelled ones')
                keep.append(np.ones(len(v['visible']), bool))
            else:
                keep.append(v['annotated'].copy())
            keep[-1][0] = True  # the init frame, dropped by skip_first
        res = eval_oxuva([v['pred_bboxes'][k] for v, k in zip(videos, keep)],
                         [v['pred_scores'][k] for v, k in zip(videos, keep)],
                         [v['gt_bboxes'][k] for v, k in zip(videos, keep)],
                         [v['visible'][k] for v, k in zip(videos, keep)],
                         [v['img_size'] for v in videos],
                         score_thr=self.score_thr,
                         iou_thr=self.iou_thr)
        print_log(
            f"OxUvA on {len(videos)} tracks: TPR {res['TPR']:.4f}  TNR "
            f"{res['TNR']:.4f}  MaxGM {res['MaxGM']:.4f}  AUC "
            f"{res['AUC']:.4f}",
            logger='current')
        return {k: res[k] for k in ('TPR', 'TNR', 'GM', 'MaxGM', 'AUC')}
