# Copyright (c) mmtao contributors. All rights reserved.
from typing import Any, Dict, List, Optional

from mmengine.logging import print_log

from mmtao.evaluation.functional import eval_vot_lt
from mmtao.registry import METRICS
from .base_sot_metric import BaseSOTMetric
from .result_writers import write_vot_lt_sequence


@METRICS.register_module()
class VOTLTMetric(BaseSOTMetric):
    """VOT long-term (LTB35) tracking precision, recall and F-score.

    F is maximised over the confidence thresholds of the VOT toolkit (see
    :func:`mmtao.evaluation.functional.eval_vot_lt`); the presence score is
    the confidence. Result files follow the VOT toolkit layout
    ``<outfile_prefix>/longterm/<seq>/<seq>_001.txt`` and
    ``<seq>_001_confidence.value``.

    Args:
        resolution (int): Number of thresholds. Defaults to 100.
        outfile_prefix (str, optional): Output directory.
        format_only (bool): Only write the result files.
        collect_device (str): Defaults to 'cpu'.
        prefix (str, optional): Defaults to 'votlt'.
    """
    default_prefix: Optional[str] = 'votlt'

    def __init__(self,
                 resolution: int = 100,
                 outfile_prefix: Optional[str] = None,
                 format_only: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(outfile_prefix, format_only, collect_device, prefix)
        self.resolution = resolution

    def compute_video_metrics(
            self, videos: List[Dict[str, Any]]) -> Dict[str, float]:
        out_dir = self.get_outfile_dir()
        for v in videos:
            write_vot_lt_sequence(out_dir, v['seq_name'],
                                  self.boxes_or_zeros(v['pred_bboxes']),
                                  v['pred_scores'])
        if self.format_only or not self.has_ground_truth(videos):
            return {}
        res = eval_vot_lt([v['pred_bboxes'] for v in videos],
                          [v['pred_scores'] for v in videos],
                          [v['gt_bboxes'] for v in videos],
                          [v['visible'] for v in videos],
                          [v['img_size'] for v in videos],
                          resolution=self.resolution)
        print_log(
            f"VOT-LT on {len(videos)} sequences: Pr {res['precision']:.4f}  "
            f"Re {res['recall']:.4f}  F {res['f_score']:.4f} (threshold "
            f"{res['threshold']:.4f})",
            logger='current')
        return {
            'precision': res['precision'],
            'recall': res['recall'],
            'F': res['f_score']
        }
