# Copyright (c) mmtao contributors. All rights reserved.
from typing import Any, Dict, List, Optional

from mmengine.logging import print_log

from mmtao.evaluation.functional import eval_vot_lt, xyxy_to_xywh
from mmtao.registry import METRICS
from .base_sot_metric import BaseSOTMetric
from .result_writers import parse_vot_lt_rows, write_vot_lt_sequence


@METRICS.register_module()
class VOTLTMetric(BaseSOTMetric):
    """VOT long-term (LTB35) tracking precision, recall and F-score, as the
    VOT toolkit computes them on the result files this metric writes.

    F is maximised over the confidence thresholds of the VOT toolkit (see
    :func:`mmtao.evaluation.functional.eval_vot_lt`); the presence score is
    the confidence. Result files follow the VOT toolkit layout
    ``<outfile_prefix>/longterm/<seq>/<seq>_001.txt`` (``1`` on the
    initialisation frame, then ``x,y,w,h`` with 4 decimals) and
    ``<seq>_001_confidence.value`` (an empty first line, then 6 decimals).
    The scores are computed from exactly the values in those files:

    * the initialisation frame is scored (an empty region with confidence
      0, counted as visible): it lowers recall and, at the lowest
      threshold, precision;
    * overlaps are computed on the pixel grid of the rounded rectangles;
    * a frame without a predicted box is written ``0,0,0,0``, an empty
      rectangle: where the target is absent (``nan`` ground truth) the
      toolkit scores the two empty regions as overlap 1, and so does this
      metric (its confidence is the model's, 0 for no prediction).

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
        written = []
        for v in videos:
            _, regions, confidences = write_vot_lt_sequence(
                out_dir, v['seq_name'], self.boxes_or_zeros(v['pred_bboxes']),
                v['pred_scores'])
            written.append(parse_vot_lt_rows(regions, confidences))
        if self.format_only or not self.has_ground_truth(videos):
            return {}
        # ground truth as read from the files when the dataset keeps it (a
        # float32 xyxy round trip can change how a .5 size rounds)
        gts = [
            v['gt_bboxes_xywh'] if v.get('gt_bboxes_xywh') is not None else
            xyxy_to_xywh(v['gt_bboxes']) for v in videos
        ]
        res = eval_vot_lt([w[0] for w in written], [w[1] for w in written],
                          gts,
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
