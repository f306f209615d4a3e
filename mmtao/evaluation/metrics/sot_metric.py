# Copyright (c) mmtao contributors. All rights reserved.
import os.path as osp
from typing import Any, Dict, List, Optional

import mmengine
import numpy as np
from mmengine.logging import print_log

from mmtao.evaluation.functional import eval_sot_ope
from mmtao.registry import METRICS
from .base_sot_metric import BaseSOTMetric
from .result_writers import write_ope_sequence


@METRICS.register_module()
class SOTMetric(BaseSOTMetric):
    """One-pass evaluation (success AUC, precision, normalised precision).

    MMTracking 1.x semantics (:func:`mmtao.evaluation.functional.
    eval_sot_ope`), with the usual per-benchmark options:

    * OTB100 / UAV123: ``only_eval_visible=False``;
    * LaSOT: ``only_eval_visible=True`` (invisible frames count as failures
      but stay in the denominator);
    * TrackingNet test: no boxes after frame 0 -> format only.

    Writes ``<seq>.txt`` (``x,y,w,h`` per frame) for every sequence under
    ``<outfile_prefix>/<dataset_type>/`` and the averaged curves (success
    over 21 IoU thresholds, precision over 0..50 px, normalised precision
    over 0..0.5) to ``<outfile_prefix>/<dataset_type>_curves.json``.

    Args:
        only_eval_visible (bool): See above. Defaults to False.
        dataset_type (str): Name of the result sub-folder (``otb100``,
            ``lasot``, ``trackingnet``, ``uav123``...). Defaults to 'sot'.
        outfile_prefix (str, optional): Output directory (default the
            runner's work_dir).
        format_only (bool): Only write the result files.
        collect_device (str): Defaults to 'cpu'.
        prefix (str, optional): Defaults to 'sot'.
    """
    default_prefix: Optional[str] = 'sot'

    def __init__(self,
                 only_eval_visible: bool = False,
                 dataset_type: str = 'sot',
                 outfile_prefix: Optional[str] = None,
                 format_only: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(outfile_prefix, format_only, collect_device, prefix)
        self.only_eval_visible = only_eval_visible
        self.dataset_type = dataset_type

    def compute_video_metrics(
            self, videos: List[Dict[str, Any]]) -> Dict[str, float]:
        out_dir = osp.join(self.get_outfile_dir(), self.dataset_type)
        preds = [self.boxes_or_zeros(v['pred_bboxes']) for v in videos]
        for v, p in zip(videos, preds):
            write_ope_sequence(out_dir, v['seq_name'], p)
        print_log(f'OPE results of {len(videos)} sequences written to '
                  f'{out_dir}', logger='current')
        if self.format_only or not self.has_ground_truth(videos):
            return {}
        res = eval_sot_ope(
            preds, [v['gt_bboxes'] for v in videos],
            [v['visible'] for v in videos] if self.only_eval_visible else None,
            video_names=[v['seq_name'] for v in videos])
        mmengine.dump(
            dict(
                success=np.mean(res['success_curve'], 0).tolist(),
                precision=np.mean(res['precision_curve'], 0).tolist(),
                norm_precision=np.mean(res['norm_precision_curve'],
                                       0).tolist(),
                per_video={
                    v['seq_name']: dict(
                        success=float(np.mean(s)),
                        precision=float(p[20]),
                        norm_precision=float(n[20]))
                    for v, s, p, n in zip(videos, res['success_curve'],
                                          res['precision_curve'],
                                          res['norm_precision_curve'])
                }), osp.join(self.get_outfile_dir(),
                             f'{self.dataset_type}_curves.json'))
        print_log(
            f"OPE on {len(videos)} sequences: success {res['success']:.2f}  "
            f"precision {res['precision']:.2f}  norm precision "
            f"{res['norm_precision']:.2f}",
            logger='current')
        return {
            k: res[k]
            for k in ('success', 'precision', 'norm_precision')
        }
