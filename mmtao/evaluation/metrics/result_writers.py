# Copyright (c) mmtao contributors. All rights reserved.
"""Raw result files in the benchmarks' own formats.

Boxes are xyxy inside mmtao and written as ``x,y,w,h`` (``w = x2 - x1``).
"""
import csv
import os
import os.path as osp
import zipfile
from typing import List, Optional

import numpy as np
from mmengine.utils import mkdir_or_exist

from mmtao.evaluation.functional import xyxy_to_xywh


def _write_lines(path: str, rows: np.ndarray, fmt: str = '%.4f',
                 header: Optional[str] = None) -> None:
    mkdir_or_exist(osp.dirname(path))
    with open(path, 'w') as f:
        if header is not None:
            f.write(header + '\n')
        for row in np.asarray(rows).reshape(len(rows), -1):
            f.write(','.join(fmt % v for v in row) + '\n')


def write_got10k_sequence(out_dir: str, seq_name: str, bboxes: np.ndarray,
                          scores: np.ndarray, times: np.ndarray) -> str:
    """GOT-10k submission files of one sequence.

    Writes ``<out_dir>/<seq>/<seq>_001.txt`` (``x,y,w,h`` a line per frame),
    ``<seq>_time.txt`` (seconds a line) and the per-frame presence scores
    ``<seq>_001_confidence.value`` (one float a line).

    Args:
        out_dir (str): Root of the submission folder.
        seq_name (str): Sequence name.
        bboxes (np.ndarray): (N, 4) xyxy, all finite.
        scores (np.ndarray): (N, ) presence scores.
        times (np.ndarray): (N, ) seconds per frame, all > 0.

    Returns:
        str: Path of the box file.
    """
    seq_dir = osp.join(out_dir, seq_name)
    box_file = osp.join(seq_dir, f'{seq_name}_001.txt')
    _write_lines(box_file, xyxy_to_xywh(bboxes))
    _write_lines(osp.join(seq_dir, f'{seq_name}_time.txt'), times, '%.8f')
    _write_lines(
        osp.join(seq_dir, f'{seq_name}_001_confidence.value'), scores,
        '%.6f')
    return box_file


def zip_sequences(out_dir: str, seq_names: List[str], zip_path: str) -> str:
    """Zip the ``<seq>/`` folders of ``out_dir`` (server upload format)."""
    mkdir_or_exist(osp.dirname(osp.abspath(zip_path)))
    with zipfile.ZipFile(zip_path, 'w', zipfile.ZIP_DEFLATED) as zf:
        for seq in seq_names:
            for name in sorted(os.listdir(osp.join(out_dir, seq))):
                zf.write(osp.join(out_dir, seq, name), f'{seq}/{name}')
    return zip_path


def write_ope_sequence(out_dir: str, seq_name: str,
                       bboxes: np.ndarray) -> str:
    """``<out_dir>/<seq>.txt`` with ``x,y,w,h`` lines (OTB / LaSOT /
    TrackingNet / UAV123 toolkits and the TrackingNet server)."""
    path = osp.join(out_dir, f'{seq_name}.txt')
    _write_lines(path, xyxy_to_xywh(bboxes))
    return path


def write_vot_lt_sequence(out_dir: str, seq_name: str, bboxes: np.ndarray,
                          scores: np.ndarray) -> str:
    """VOT long-term result files of one sequence.

    ``<out_dir>/longterm/<seq>/<seq>_001.txt``: ``1`` on the initialisation
    frame then ``x,y,w,h`` lines; ``<seq>_001_confidence.value``: empty
    first line then one confidence a line.
    """
    seq_dir = osp.join(out_dir, 'longterm', seq_name)
    box_file = osp.join(seq_dir, f'{seq_name}_001.txt')
    mkdir_or_exist(seq_dir)
    with open(box_file, 'w') as f:
        f.write('1\n')
        for row in xyxy_to_xywh(bboxes[1:]):
            f.write(','.join('%.4f' % v for v in row) + '\n')
    with open(osp.join(seq_dir, f'{seq_name}_001_confidence.value'),
              'w') as f:
        f.write('\n')
        for s in scores[1:]:
            f.write('%.6f\n' % s)
    return box_file


OXUVA_FIELDS = ('video', 'object', 'frame_num', 'present', 'score', 'xmin',
                'xmax', 'ymin', 'ymax')


def write_oxuva_track(out_dir: str, video: str, obj: str,
                      frame_nums: np.ndarray, bboxes: np.ndarray,
                      scores: np.ndarray, present: np.ndarray,
                      img_size: tuple) -> str:
    """OxUvA prediction CSV ``<out_dir>/<video>_<object>.csv``.

    One row per frame, no header, columns ``video, object, frame_num,
    present, score, xmin, xmax, ymin, ymax`` (the toolkit's prediction
    format): ``frame_num`` is the absolute frame number in the video (the
    toolkit keys predictions by it), ``present`` is ``true`` / ``false`` (the
    toolkit's loader accepts only boolean words), coordinates are fractions
    of the image width / height.

    Args:
        out_dir (str): Output directory.
        video (str): OxUvA video id.
        obj (str): OxUvA object id.
        frame_nums (np.ndarray): (N, ) absolute frame numbers.
        bboxes (np.ndarray): (N, 4) xyxy pixel boxes, all finite.
        scores (np.ndarray): (N, ) presence scores.
        present (np.ndarray): (N, ) bool, the reported presence.
        img_size (tuple): Image ``(width, height)``.

    Returns:
        str: Path of the CSV.
    """
    w, h = img_size
    path = osp.join(out_dir, f'{video}_{obj}.csv')
    mkdir_or_exist(out_dir)
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        for t, b, s, p in zip(frame_nums, bboxes, scores, present):
            writer.writerow([
                video, obj,
                int(t), 'true' if p else 'false',
                '%.6f' % s,
                '%.6f' % (b[0] / w),
                '%.6f' % (b[2] / w),
                '%.6f' % (b[1] / h),
                '%.6f' % (b[3] / h)
            ])
    return path
