# Copyright (c) mmtao contributors. All rights reserved.
import math
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

    A frame is reported present iff it has a box and its presence score is
    ``>= score_thr`` (see :func:`mmtao.evaluation.functional.eval_oxuva`).
    The first frame (initialisation) is not assessed.

    Predictions are written in the toolkit's format (see
    :func:`~mmtao.evaluation.metrics.result_writers.write_oxuva_track`) as
    ``<outfile_prefix>/oxuva/<video>_<object>.csv``: one row for each frame
    ``init_frame + 1 … last_frame``, keyed by the absolute frame number
    (the sample's ``frame_num`` metainfo, :class:`OxUvADataset`; without
    it the frame index, i.e. a task starting at frame 0), presence written
    as ``true`` / ``false``. ``seq_name`` is split at its last ``_`` into
    video and object (``vid0001_obj0000``); names without ``_`` get the
    object ``obj0000``. What this metric prints is what the official
    toolkit computes on those files.

    OxUvA labels one frame a second; only labelled frames are assessed.
    With ``sparse_annotations=True`` every sample must carry the metainfo
    flag ``annotated`` (True on labelled frames, present or absent) and a
    missing flag is an error; with False, every frame counts as labelled
    (datasets annotated densely). When every labelled frame is absent, TPR
    (and GM, MaxGM, AUC) is undefined and only TNR is returned; without
    labels after the init frame (the test split) only the CSVs are written.

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

    def extra_record(self, sample: dict, pred: dict) -> dict:
        """Keep the absolute frame number (``frame_num``) of the frame."""
        frame_num = sample.get('frame_num')
        return dict(frame_num=None if frame_num is None else int(frame_num))

    def _labelled(self, v: Dict[str, Any]) -> np.ndarray:
        """(N, ) bool: the frames with a label (the init frame included)."""
        if v['annotated'] is None:
            if self.sparse_annotations:
                raise KeyError(
                    f"OxUvAMetric: the samples of {v['seq_name']} carry "
                    "no 'annotated' metainfo flag; with "
                    'sparse_annotations=True it tells labelled absent '
                    'frames from unlabelled ones')
            labelled = np.ones(len(v['visible']), bool)
        else:
            labelled = v['annotated'].copy()
        labelled[0] = True  # the init frame, dropped by skip_first
        return labelled

    def compute_video_metrics(
            self, videos: List[Dict[str, Any]]) -> Dict[str, float]:
        out_dir = osp.join(self.get_outfile_dir(), 'oxuva')
        for v in videos:
            video, obj = self.split_name(v['seq_name'])
            nums = [r['frame_num'] for r in v['records']]
            nums = np.arange(len(nums)) if None in nums else np.array(nums)
            # the reported presence needs a box
            present = (v['pred_scores'] >= self.score_thr) & np.isfinite(
                v['pred_bboxes']).all(1)
            # rows init_frame + 1 ... last_frame, as the toolkit's trackers
            write_oxuva_track(out_dir, video, obj, nums[1:],
                              self.boxes_or_zeros(v['pred_bboxes'])[1:],
                              v['pred_scores'][1:], present[1:],
                              v['img_size'])
        print_log(f'OxUvA predictions of {len(videos)} tracks written to '
                  f'{out_dir}', logger='current')
        if self.format_only:
            return {}
        keep = [self._labelled(v) for v in videos]
        # test split: no label after the init frames (flagged or boxes)
        if not (any(k[1:].any()
                    for v, k in zip(videos, keep) if v['annotated'] is not None)
                or self.has_ground_truth(videos)):
            return {}
        # frames without a box are reported absent (as in the CSVs)
        scores = [
            np.where(np.isfinite(v['pred_bboxes']).all(1), v['pred_scores'],
                     -np.inf) for v in videos
        ]
        res = eval_oxuva([v['pred_bboxes'][k] for v, k in zip(videos, keep)],
                         [s[k] for s, k in zip(scores, keep)],
                         [v['gt_bboxes'][k] for v, k in zip(videos, keep)],
                         [v['visible'][k] for v, k in zip(videos, keep)],
                         [v['img_size'] for v in videos],
                         score_thr=self.score_thr,
                         iou_thr=self.iou_thr)
        print_log(
            f"OxUvA on {len(videos)} tracks ({res['TP'] + res['FN']} "
            f"present, {res['TN'] + res['FP']} absent labels): TPR "
            f"{res['TPR']:.4f}  TNR {res['TNR']:.4f}  MaxGM "
            f"{res['MaxGM']:.4f}  AUC {res['AUC']:.4f}",
            logger='current')
        # undefined rates (no present / no absent label) are left out
        return {
            k: res[k]
            for k in ('TPR', 'TNR', 'GM', 'MaxGM', 'AUC')
            if not math.isnan(res[k])
        }
