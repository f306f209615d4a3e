# Copyright (c) mmtao contributors. All rights reserved.
"""Raw result files in the benchmarks' own formats.

Boxes are xyxy inside mmtao and written as ``x,y,w,h`` (``w = x2 - x1``).
"""
import csv
import os
import os.path as osp
import zipfile
from typing import List, Optional, Tuple

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


def vot_lt_file_rows(bboxes: np.ndarray,
                     scores: np.ndarray) -> Tuple[List[str], List[str]]:
    """Lines of the VOT long-term result files of one sequence.

    Args:
        bboxes (np.ndarray): (N, 4) xyxy, all finite (frame 0 is the
            initialisation frame and not written).
        scores (np.ndarray): (N, ) confidences.

    Returns:
        tuple[list[str], list[str]]: the region lines (``1`` for the
        initialisation frame, then ``x,y,w,h`` with 4 decimals) and the
        confidence lines (empty for the initialisation frame, then 6
        decimals).
    """
    regions = ['1'] + [
        ','.join('%.4f' % v for v in row) for row in xyxy_to_xywh(bboxes[1:])
    ]
    confidences = [''] + ['%.6f' % s for s in scores[1:]]
    return regions, confidences


def parse_vot_lt_rows(
        regions: List[str],
        confidences: List[str]) -> Tuple[np.ndarray, np.ndarray]:
    """The regions and confidences the VOT toolkit reads from those lines.

    Returns:
        tuple[np.ndarray, np.ndarray]: (N, 4) ``x, y, w, h`` (NaN for a
        special region such as the initialisation code ``1``) and (N, )
        confidences (NaN for an empty line).
    """
    boxes = np.full((len(regions), 4), np.nan)
    for i, line in enumerate(regions):
        fields = line.split(',')
        if len(fields) == 4:
            boxes[i] = [float(v) for v in fields]
    conf = np.array([float(c) if c.strip() else np.nan for c in confidences])
    return boxes, conf


def write_vot_lt_sequence(out_dir: str, seq_name: str, bboxes: np.ndarray,
                          scores: np.ndarray) -> Tuple[str, List[str],
                                                       List[str]]:
    """VOT long-term result files of one sequence.

    ``<out_dir>/longterm/<seq>/<seq>_001.txt`` and
    ``<seq>_001_confidence.value`` with the lines of
    :func:`vot_lt_file_rows`.

    Returns:
        tuple: The path of the region file, the region lines and the
        confidence lines written.
    """
    seq_dir = osp.join(out_dir, 'longterm', seq_name)
    box_file = osp.join(seq_dir, f'{seq_name}_001.txt')
    mkdir_or_exist(seq_dir)
    regions, confidences = vot_lt_file_rows(bboxes, scores)
    with open(box_file, 'w') as f:
        f.write(''.join(line + '\n' for line in regions))
    with open(osp.join(seq_dir, f'{seq_name}_001_confidence.value'),
              'w') as f:
        f.write(''.join(line + '\n' for line in confidences))
    return box_file, regions, confidences


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
