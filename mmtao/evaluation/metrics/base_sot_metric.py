# Copyright (c) mmtao contributors. All rights reserved.
import os.path as osp
import tempfile
import time
from collections import defaultdict
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.dist import (all_gather_object, broadcast_object_list,
                           get_world_size, is_main_process)
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log

# metainfo every SOT test sample carries (docs/en/data_contract.md, §1)
REQUIRED_KEYS = ('video_id', 'frame_id', 'video_length', 'seq_name',
                 'gt_bbox_ori', 'visible', 'ori_shape')


def to_numpy(x: Any) -> np.ndarray:
    """Tensor / array / list to a numpy array (on CPU)."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


class BaseSOTMetric(BaseMetric):
    """Frame-keyed base class of the single-object-tracking metrics.

    ``process`` stores one record per frame keyed by ``(video_id,
    frame_id)``; ``evaluate`` gathers the records of all ranks with
    ``all_gather_object`` (mmengine's ``collect_results`` interleaves equal
    parts and would drop frames when the video-ordered sampler gives ranks
    unequal numbers of frames), removes duplicates and regroups them by
    video in frame order, so a multi-process run evaluates exactly the same
    frames as a single-process run. A video with a missing frame raises
    an error instead of being scored on a subset.

    Subclasses implement :meth:`compute_video_metrics` on the list of
    videos made by :meth:`group_by_video`.

    Args:
        outfile_prefix (str, optional): Directory of the raw result files.
            Defaults to the runner's ``work_dir`` (found through the current
            logger's log file ``work_dir/<timestamp>/<timestamp>.log``), or a
            temporary directory outside a runner.
        format_only (bool): Only write the result files (test splits
            without ground truth). Defaults to False.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to 'cpu'.
        prefix (str, optional): Metric name prefix. Defaults to
            ``default_prefix``.
    """

    def __init__(self,
                 outfile_prefix: Optional[str] = None,
                 format_only: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.outfile_prefix = outfile_prefix
        self.format_only = format_only
        self._last_time: Optional[float] = None

    # ------------------------------------------------------------- process
    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Store one frame record per data sample.

        Args:
            data_batch (Any): The batch from the dataloader (unused).
            data_samples (Sequence[dict | DetDataSample]): Model outputs
                with ``pred_track_instances`` and the SOT metainfo.
        """
        now = time.perf_counter()
        # seconds since the previous frame on this rank (None on the first)
        frame_time = None if self._last_time is None else \
            (now - self._last_time) / max(len(data_samples), 1)
        self._last_time = now
        for sample in data_samples:
            if hasattr(sample, 'to_dict'):
                sample = sample.to_dict()
            missing = [k for k in REQUIRED_KEYS if k not in sample]
            if missing or 'pred_track_instances' not in sample:
                raise KeyError(
                    f'{self.__class__.__name__}.process: the data sample '
                    f'lacks {missing or ["pred_track_instances"]}; SOT '
                    'metrics need the per-frame metainfo of '
                    'docs/en/data_contract.md §1 and pred_track_instances')
            pred = sample['pred_track_instances']
            bboxes = to_numpy(pred['bboxes']).reshape(-1, 4)
            scores = to_numpy(pred['scores']).reshape(-1) \
                if 'scores' in pred else np.ones(len(bboxes))
            if len(bboxes) > 1:
                raise ValueError(
                    f'{self.__class__.__name__}: expected at most one '
                    f'tracked box per frame, got {len(bboxes)} in '
                    f"{sample['seq_name']} frame {sample['frame_id']}")
            gt = np.asarray(sample['gt_bbox_ori'],
                            dtype=np.float64).reshape(4)
            record = dict(
                video_id=int(sample['video_id']),
                frame_id=int(sample['frame_id']),
                video_length=int(sample['video_length']),
                seq_name=str(sample['seq_name']),
                img_path=sample.get('img_path', ''),
                ori_shape=tuple(int(v) for v in sample['ori_shape'][:2]),
                gt_bbox=gt,
                visible=bool(sample['visible']),
                # an empty prediction is kept as NaN and scored as a miss
                pred_bbox=(bboxes[0].astype(np.float64)
                           if len(bboxes) else np.full(4, np.nan)),
                pred_score=float(scores[0]) if len(scores) else 0.0,
                # sparse benchmarks (OxUvA: 1 Hz) flag the labelled frames
                annotated=sample.get('annotated'),
                # the annotation file's x,y,w,h when the dataset keeps it
                gt_bbox_xywh=sample.get('gt_bbox_xywh'),
                time=frame_time)
            record.update(self.extra_record(sample, pred))
            self.results.append(record)

    def extra_record(self, sample: dict, pred: dict) -> dict:
        """Extra per-frame fields of a subclass (e.g. encoded masks)."""
        return {}

    # ------------------------------------------------------------ evaluate
    def evaluate(self, size: int) -> dict:
        """Gather the frame records of all ranks and compute the metrics.

        Args:
            size (int): Dataset length (number of frames), used to check
                that every frame was evaluated exactly once.

        Returns:
            dict: Metrics with the prefix, e.g. ``got10k/AO``.
        """
        if get_world_size() > 1:
            parts = all_gather_object(self.results)
            results = [r for part in parts for r in part]
        else:
            results = list(self.results)
        if is_main_process():
            num_frames = len({(r['video_id'], r['frame_id']) for r in results})
            if num_frames != size:
                raise RuntimeError(
                    f'{self.__class__.__name__}: {num_frames} distinct frames '
                    f'were evaluated but the dataset has {size}; every frame '
                    'of every video must be run exactly once (VideoSampler)')
            metrics = self.compute_metrics(results)
            if self.prefix:
                metrics = {f'{self.prefix}/{k}': v for k, v in metrics.items()}
            out = [metrics]
        else:
            out = [None]
        broadcast_object_list(out)
        self.results.clear()
        self._last_time = None
        return out[0]

    def group_by_video(self, results: List[dict]) -> List[Dict[str, Any]]:
        """Regroup frame records into videos ordered by ``video_id``.

        Returns:
            list[dict]: Per video: ``video_id``, ``seq_name``, ``img_size``
            (W, H), ``pred_bboxes`` (N, 4) xyxy (NaN rows = no box),
            ``pred_scores`` (N, ), ``gt_bboxes`` (N, 4), ``gt_bboxes_xywh``
            (N, 4) ``x, y, w, h`` as read from the annotation file (None
            unless the dataset keeps them), ``visible`` (N, ),
            ``times`` (N, ) seconds (NaN unknown), ``annotated`` (N, ) bool
            or None when the samples carry no ``annotated`` flag,
            ``img_paths`` and ``records`` (the frame records, in order).
        """
        by_video = defaultdict(dict)
        for r in results:
            # duplicates (e.g. padding) carry the same frame: keep one
            by_video[r['video_id']][r['frame_id']] = r
        videos = []
        for vid in sorted(by_video):
            frames = by_video[vid]
            length = next(iter(frames.values()))['video_length']
            missing = sorted(set(range(length)) - set(frames))
            if missing:
                name = next(iter(frames.values()))['seq_name']
                raise RuntimeError(
                    f'{self.__class__.__name__}: video {name} (id {vid}) has '
                    f'{length} frames but no result for frames '
                    f'{missing[:10]}{"..." if len(missing) > 10 else ""}; '
                    'was the dataset split across ranks by frame instead of '
                    'by video (use VideoSampler)?')
            recs = [frames[i] for i in range(length)]
            h, w = recs[0]['ori_shape']
            videos.append(
                dict(
                    video_id=vid,
                    seq_name=recs[0]['seq_name'],
                    img_size=(w, h),
                    pred_bboxes=np.stack([r['pred_bbox'] for r in recs]),
                    pred_scores=np.array([r['pred_score'] for r in recs]),
                    gt_bboxes=np.stack([r['gt_bbox'] for r in recs]),
                    visible=np.array([r['visible'] for r in recs], bool),
                    times=np.array([
                        np.nan if r['time'] is None else r['time']
                        for r in recs
                    ]),
                    gt_bboxes_xywh=None if any(
                        r.get('gt_bbox_xywh') is None for r in recs) else
                    np.stack([r['gt_bbox_xywh'] for r in recs]).astype(
                        np.float64),
                    annotated=None if any(
                        r['annotated'] is None for r in recs) else np.array(
                            [r['annotated'] for r in recs], bool),
                    img_paths=[r['img_path'] for r in recs],
                    records=recs))
        return videos

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        videos = self.group_by_video(results)
        if not videos:
            raise RuntimeError(f'{self.__class__.__name__}: no frame was '
                               'processed')
        return self.compute_video_metrics(videos)

    def compute_video_metrics(
            self, videos: List[Dict[str, Any]]) -> Dict[str, float]:
        raise NotImplementedError

    # -------------------------------------------------------------- helpers
    def get_outfile_dir(self) -> str:
        """Directory for the raw result files (see ``outfile_prefix``)."""
        if self.outfile_prefix is not None:
            return self.outfile_prefix
        log_file = getattr(MMLogger.get_current_instance(), 'log_file', None)
        if log_file:
            # Runner logs to work_dir/<timestamp>/<timestamp>.log
            return osp.dirname(osp.dirname(osp.abspath(log_file)))
        if getattr(self, '_tmp', None) is not None:
            return self._tmp.name
        self._tmp = tempfile.TemporaryDirectory(prefix='mmtao_results_')
        print_log(
            f'{self.__class__.__name__}: no outfile_prefix and no runner '
            f'work_dir, result files go to {self._tmp.name}',
            logger='current')
        return self._tmp.name

    @staticmethod
    def has_ground_truth(videos: List[Dict[str, Any]]) -> bool:
        """True when some frame after the first has a ground-truth box."""
        return any(
            np.isfinite(v['gt_bboxes'][1:]).all(1).any() for v in videos)

    @staticmethod
    def boxes_or_zeros(bboxes: np.ndarray) -> np.ndarray:
        """Replace frames without a predicted box by a zero box (a miss)."""
        out = bboxes.copy()
        out[~np.isfinite(out).all(1)] = 0.
        return out
