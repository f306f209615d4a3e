# Copyright (c) mmtao contributors. All rights reserved.
"""Strict readers of the text annotation files of tracking benchmarks.

Every error names the file and the (1-based) line, so a corrupt annotation
is found where it is, instead of turning into a wrong training sample.
"""
import os
import os.path as osp
import re
from typing import List, Optional, Tuple

import numpy as np

_SEP = re.compile(r'[,;\s]+')


def read_box_file(path: str,
                  allow_nan: bool = True,
                  num_fields: int = 4) -> np.ndarray:
    """Read one ``x,y,w,h`` box per line.

    Fields may be separated by commas, semicolons, tabs or spaces (OTB mixes
    them). ``nan`` fields (VOT-LT, GOT-10k test) are kept as NaN when
    ``allow_nan``. Blank lines are allowed only at the end of the file.

    Args:
        path (str): The annotation file.
        allow_nan (bool): Accept ``nan`` fields. Defaults to True.
        num_fields (int): Numbers per line. Defaults to 4.

    Returns:
        np.ndarray: float32 boxes of shape (N, num_fields), xywh as written.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: A line has the wrong number of fields, a non-numeric or
            infinite value, a NaN when not allowed, or a negative width or
            height; a non-blank line follows a blank one.
    """
    rows: List[List[float]] = []
    blank_at: Optional[int] = None
    with open(path) as f:
        for line_no, line in enumerate(f, 1):
            text = line.strip()
            if not text:
                blank_at = blank_at or line_no
                continue
            if blank_at is not None:
                raise ValueError(
                    f'{path}:{blank_at}: blank line inside the annotation '
                    '(one box per frame expected; a blank line would shift '
                    'every later frame)')
            fields = _SEP.split(text)
            if len(fields) != num_fields:
                raise ValueError(
                    f'{path}:{line_no}: expected {num_fields} numbers '
                    f'(x,y,w,h), got {len(fields)} fields: {text!r}')
            try:
                values = [float(v) for v in fields]
            except ValueError:
                raise ValueError(f'{path}:{line_no}: non-numeric field in '
                                 f'{text!r}') from None
            arr = np.asarray(values)
            if np.isinf(arr).any():
                raise ValueError(f'{path}:{line_no}: infinite value in '
                                 f'{text!r}')
            if np.isnan(arr).any() and not allow_nan:
                raise ValueError(f'{path}:{line_no}: NaN in {text!r}; this '
                                 'benchmark always has a box')
            if num_fields == 4 and (arr[2] < 0 or arr[3] < 0):
                raise ValueError(
                    f'{path}:{line_no}: negative box size (w={arr[2]:g}, '
                    f'h={arr[3]:g}) in {text!r}')
            rows.append(values)
    return np.asarray(rows, dtype=np.float32).reshape(-1, num_fields)


def read_int_labels(path: str, valid: Optional[range] = None) -> np.ndarray:
    """Read integer labels, one per line or comma/space separated.

    GOT-10k's ``absence.label`` / ``cover.label`` have one per line, LaSOT's
    ``full_occlusion.txt`` / ``out_of_view.txt`` one comma-separated line.

    Args:
        path (str): The label file.
        valid (range, optional): Allowed values, e.g. ``range(2)`` for flags
            or ``range(9)`` for GOT-10k cover levels.

    Returns:
        np.ndarray: int64 labels of shape (N, ).

    Raises:
        ValueError: A field is not an integer or not in ``valid``.
    """
    labels: List[int] = []
    with open(path) as f:
        for line_no, line in enumerate(f, 1):
            text = line.strip()
            if not text:
                continue
            for field in _SEP.split(text):
                try:
                    value = int(float(field))
                    if value != float(field):
                        raise ValueError
                except ValueError:
                    raise ValueError(f'{path}:{line_no}: expected an integer '
                                     f'label, got {field!r}') from None
                if valid is not None and value not in valid:
                    raise ValueError(
                        f'{path}:{line_no}: label {value} out of range '
                        f'[{valid.start}, {valid.stop - 1}]')
                labels.append(value)
    return np.asarray(labels, dtype=np.int64)


def read_name_list(path: str) -> List[str]:
    """Read one name per line (blank lines skipped, duplicates rejected)."""
    names, seen = [], {}
    with open(path) as f:
        for line_no, line in enumerate(f, 1):
            name = line.strip()
            if not name:
                continue
            if name in seen:
                raise ValueError(f'{path}:{line_no}: duplicate name {name!r} '
                                 f'(first on line {seen[name]})')
            seen[name] = line_no
            names.append(name)
    return names


def xywh_to_xyxy(boxes: np.ndarray) -> np.ndarray:
    """``(x, y, w, h)`` to ``(x1, y1, x2, y2)`` with ``x2 = x + w`` (no +1).

    Args:
        boxes (np.ndarray): Shape (N, 4); NaN rows stay NaN.

    Returns:
        np.ndarray: float32 of shape (N, 4).
    """
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    return np.concatenate([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], axis=1)


def scan_numbered_frames(folder: str,
                         suffixes=('.jpg', ),
                         first: int = 1) -> Tuple[int, str]:
    """Count the frames ``<number><suffix>`` of a folder and check that they
    are numbered ``first, first + 1, ...`` without gaps.

    Args:
        folder (str): The frame folder.
        suffixes (Sequence[str]): Accepted file suffixes (one per folder).
        first (int): Number of the first frame (1 for GOT-10k, 0 for
            TrackingNet). Defaults to 1.

    Returns:
        tuple[int, str]: The number of frames and a ``%``-template of their
        names (zero padding taken from the files, e.g. ``'%08d.jpg'``).

    Raises:
        FileNotFoundError: No frames, or a gap (naming the first missing
            frame).
    """
    if not osp.isdir(folder):
        raise FileNotFoundError(f'frame folder {folder} does not exist')
    numbers, found_suffix = [], None
    width, padded = 0, False
    for name in os.listdir(folder):
        stem, suffix = osp.splitext(name)
        if suffix not in suffixes or not stem.isdigit():
            continue
        if found_suffix not in (None, suffix):
            raise ValueError(f'{folder}: frames with both {found_suffix} and '
                             f'{suffix} suffixes')
        found_suffix = suffix
        numbers.append(int(stem))
        width = min(width, len(stem)) if width else len(stem)
        padded = padded or (len(stem) > 1 and stem[0] == '0')
    if not numbers:
        raise FileNotFoundError(
            f'{folder}: no frames named <number>{"|".join(suffixes)}')
    numbers.sort()
    template = (f'%0{width}d' if padded else '%d') + found_suffix
    expected = range(first, first + len(numbers))
    if numbers[0] != first or numbers[-1] != expected[-1]:
        missing = sorted(set(range(first, numbers[-1] + 1)) - set(numbers))
        missing = missing[0] if missing else first
        raise FileNotFoundError(
            f'missing frame {osp.join(folder, template % missing)} (frames '
            f'are numbered {numbers[0]}..{numbers[-1]})')
    return len(numbers), template
