# Copyright (c) mmtao contributors. All rights reserved.
import os.path as osp
from typing import Any, Dict, List, Optional

import numpy as np
from mmengine.logging import print_log

from mmtao.evaluation.functional import eval_got10k
from mmtao.evaluation.functional.eval_oxuva import assess_frames, oxuva_quality
from mmtao.registry import METRICS
from .base_sot_metric import BaseSOTMetric
from .result_writers import write_got10k_sequence, zip_sequences


@METRICS.register_module()
class GOT10kMetric(BaseSOTMetric):
    """GOT-10k AO / SR0.5 / SR0.75 and the server submission files.

    The scores follow the official toolkit (see
    :func:`mmtao.evaluation.functional.eval_got10k`): frames after the
    first whose ``cover.label`` is > 0 (as the toolkit: also a frame that
    ``absence.label`` marks absent; ``visible`` when a sequence has no
    cover labels), IoU with both boxes clipped to the image, averaged over
    all frames of all sequences.

    Under the output directory (``outfile_prefix``, default the runner's
    work_dir) it writes ``<seq>/<seq>_001.txt`` (``x,y,w,h`` per frame),
    ``<seq>/<seq>_time.txt`` (measured seconds per frame: the wall time
    between consecutive frames on the rank, the rank's first frame gets the
    mean of the others), ``<seq>/<seq>_001_confidence.value`` (the presence
    score per frame) and ``got10k_submission.zip`` holding the ``<seq>/``
    folders, ready for the evaluation server. Frames without a predicted
    box are written (and scored) as the empty box ``0,0,0,0``.

    Args:
        outfile_prefix (str, optional): Output directory.
        format_only (bool): Only write the files (e.g. the test split,
            whose boxes are unknown). Without any ground-truth box after the
            first frame the metric switches to format-only by itself.
        zip_results (bool): Write ``got10k_submission.zip``. Defaults to
            True.
        presence_threshold (float, optional): Also score presence, as
            OxUvA does, over the frames after the first: the tracker says
            *present* where its presence score is >= this; ``TPR`` is the
            share of visible frames called present with IoU >= 0.5, ``TNR``
            the share of absent frames (``absence.label``) called absent.
            Defaults to None (AO/SR only, as the official toolkit).
        collect_device (str): Defaults to 'cpu'.
        prefix (str, optional): Defaults to 'got10k'.
    """
    default_prefix: Optional[str] = 'got10k'

    def __init__(self,
                 outfile_prefix: Optional[str] = None,
                 format_only: bool = False,
                 zip_results: bool = True,
                 presence_threshold: Optional[float] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(outfile_prefix, format_only, collect_device, prefix)
        self.zip_results = zip_results
        self.presence_threshold = presence_threshold

    def compute_video_metrics(
            self, videos: List[Dict[str, Any]]) -> Dict[str, float]:
        out_dir = self.get_outfile_dir()
        for v in videos:
            times = v['times'].copy()
            known = np.isfinite(times) & (times > 0)
            times[~known] = times[known].mean() if known.any() else 1e-4
            write_got10k_sequence(out_dir, v['seq_name'],
                                  self.boxes_or_zeros(v['pred_bboxes']),
                                  v['pred_scores'], times)
        msg = f'GOT-10k results of {len(videos)} sequences written to ' \
              f'{out_dir}'
        if self.zip_results:
            zip_path = zip_sequences(out_dir, [v['seq_name'] for v in videos],
                                     osp.join(out_dir,
                                              'got10k_submission.zip'))
            msg += f' (zip: {zip_path})'
        print_log(msg, logger='current')
        if self.format_only or not self.has_ground_truth(videos):
            return {}
        res = eval_got10k(
            [self.boxes_or_zeros(v['pred_bboxes']) for v in videos],
            [v['gt_bboxes'] for v in videos],
            [self.scored_frames(v) for v in videos],
            image_sizes=[v['img_size'] for v in videos],
            video_names=[v['seq_name'] for v in videos])
        print_log(
            f"GOT-10k on {len(videos)} sequences, {res['num_frames']} "
            f"frames: AO {res['AO']:.4f}  SR0.5 {res['SR0.5']:.4f}  "
            f"SR0.75 {res['SR0.75']:.4f}",
            logger='current')
        metrics = {k: res[k] for k in ('AO', 'SR0.5', 'SR0.75')}
        if self.presence_threshold is not None:
            metrics.update(self.presence_scores(videos))
            print_log(
                f'presence (score >= {self.presence_threshold}): TPR '
                f"{metrics['TPR']:.4f}  TNR {metrics['TNR']:.4f} on "
                f"{metrics['num_absent']} absent frames",
                logger='current')
        return metrics

    def extra_record(self, sample: dict, pred: dict) -> dict:
        return dict(cover_visible=sample.get('cover_visible'))

    @staticmethod
    def scored_frames(video: Dict[str, Any]) -> np.ndarray:
        """Frames the GOT-10k toolkit scores: ``cover > 0``
        (``cover_visible`` from :class:`GOT10kDataset`), also where
        ``absence.label`` says absent; ``visible`` without cover labels."""
        flags = [r.get('cover_visible') for r in video['records']]
        if any(f is None for f in flags):
            return video['visible']
        return np.asarray(flags, dtype=bool)

    def presence_scores(self, videos: List[Dict[str, Any]]) -> Dict:
        """OxUvA's TPR / TNR of the frames after the first."""
        counts = dict(TP=0, FN=0, TN=0, FP=0)
        for v in videos:
            boxes = self.boxes_or_zeros(v['pred_bboxes'])[1:]
            present = (np.asarray(v['pred_scores'])[1:] >=
                       self.presence_threshold) & (
                           (boxes[:, 2:] > boxes[:, :2]).all(1))
            flags = assess_frames(boxes, present, v['gt_bboxes'][1:],
                                  v['visible'][1:], v['img_size'])
            for k in counts:
                counts[k] += int(flags[k].sum())
        q = oxuva_quality(counts['TP'], counts['FN'], counts['TN'],
                          counts['FP'])
        return dict(
            TPR=q['TPR'], TNR=q['TNR'], num_absent=counts['TN'] + counts['FP'])
