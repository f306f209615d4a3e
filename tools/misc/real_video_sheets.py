# Copyright (c) mmtao contributors. All rights reserved.
"""Sheets for reading and checking the real-video benchmark's boxes by hand.

``grid``: the keyframes of one task with a labelled pixel grid (coordinates
of the original frame), four to a PNG, to read boxes off; ``--crop`` zooms
on a region (small objects) with a finer grid.
``check``: contact sheets of every task's keyframes with the committed
labels (``tools/misc/real_video/labels.csv``) drawn, absent keyframes
marked, to check the labels by eye; ``--results DIR`` also draws a
tracker's OxUvA prediction CSVs (``DIR/<video>_<object>.csv`` or
``DIR/oxuva/...``) in red
(dark red where it reports the object absent)::

    python tools/misc/real_video_sheets.py grid skv_bikes cyclist \\
        --out work_dirs/rv_grid
    python tools/misc/real_video_sheets.py check --out work_dirs/rv_check

Needs the frames of ``tools/misc/prepare_real_video.py`` (``--data-root``).
"""
import argparse
import csv
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

from PIL import Image, ImageDraw

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from prepare_real_video import (SETS, load_labels, load_manifest,  # noqa: E402
                                set_files)

GREEN, RED, YELLOW = (0, 255, 0), (255, 40, 40), (255, 255, 0)


def keyframes(task: dict) -> List[int]:
    """Frames ``init, init + step, ... <= last`` of a manifest task."""
    return list(
        range(task['init_frame'], task['last_frame'] + 1,
              task['keyframe_step']))


def frame_path(root: str, video: str, frame: int) -> str:
    return osp.join(root, 'images', 'dev', video, f'{frame:06d}.jpeg')


def grid_tile(img: Image.Image, crop: Optional[Sequence[int]], step: int,
              width: int, title: str) -> Image.Image:
    """The (cropped) frame scaled to ``width`` with grid lines every
    ``step`` original pixels, labelled along the top and left edges."""
    x0, y0 = 0, 0
    if crop is not None:
        x0, y0 = crop[0], crop[1]
        img = img.crop(tuple(crop))
    s = width / img.width
    tile = img.convert('RGB').resize((width, round(img.height * s)))
    margin = 28
    out = Image.new('RGB', (tile.width + margin, tile.height + margin + 14),
                    (0, 0, 0))
    out.paste(tile, (margin, margin + 14))
    d = ImageDraw.Draw(out)
    d.text((margin, 1), title, fill=YELLOW)
    first_x = -(-x0 // step) * step
    for gx in range(first_x, x0 + img.width + 1, step):
        px = margin + round((gx - x0) * s)
        major = (gx // step) % 2 == 0
        d.line([(px, margin + 14), (px, out.height)],
               fill=(255, 0, 255) if major else (0, 255, 255), width=1)
        if major:
            d.text((px - 8, 14), str(gx), fill=(255, 0, 255))
    first_y = -(-y0 // step) * step
    for gy in range(first_y, y0 + img.height + 1, step):
        py = margin + 14 + round((gy - y0) * s)
        major = (gy // step) % 2 == 0
        d.line([(margin, py), (out.width, py)],
               fill=(255, 0, 255) if major else (0, 255, 255), width=1)
        if major:
            d.text((0, py - 5), str(gy), fill=(255, 0, 255))
    return out


def paste_grid(tiles: List[Image.Image], cols: int) -> Image.Image:
    w = max(t.width for t in tiles)
    h = max(t.height for t in tiles)
    rows = -(-len(tiles) // cols)
    sheet = Image.new('RGB', (w * cols, h * rows), (40, 40, 40))
    for k, t in enumerate(tiles):
        sheet.paste(t, ((k % cols) * w, (k // cols) * h))
    return sheet


def read_predictions(results: str, video: str,
                     obj: str) -> Dict[int, Tuple[bool, List[float]]]:
    """frame -> (present, normalised xyxy) from an OxUvA prediction CSV."""
    for path in (osp.join(results, f'{video}_{obj}.csv'),
                 osp.join(results, 'oxuva', f'{video}_{obj}.csv')):
        if osp.isfile(path):
            out = {}
            with open(path, newline='') as f:
                for row in csv.reader(f):
                    x1, x2, y1, y2 = (float(v) for v in row[5:9])
                    out[int(row[2])] = (row[3] == 'true', [x1, y1, x2, y2])
            return out
    raise FileNotFoundError(f'no prediction CSV for {video}_{obj} in '
                            f'{results}')


def zoom_window(box: Sequence[float], size: Tuple[int, int]) -> List[int]:
    """A square crop around ``box``: 4x its longer side, at least 120 px,
    inside the frame."""
    w, h = size
    side = min(max(4 * max(box[2] - box[0], box[3] - box[1]), 120), w, h)
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    x1 = int(min(max(cx - side / 2, 0), w - side))
    y1 = int(min(max(cy - side / 2, 0), h - side))
    return [x1, y1, x1 + int(side), y1 + int(side)]


def check_tile(root: str,
               video: str,
               frame: int,
               label: Optional[dict],
               pred: Optional[Tuple[bool, List[float]]],
               width: int,
               title: str,
               crop: Optional[Sequence[int]] = None) -> Image.Image:
    img = Image.open(frame_path(root, video, frame)).convert('RGB')
    full_w, full_h = img.size
    x0, y0 = (crop[0], crop[1]) if crop is not None else (0, 0)
    if crop is not None:
        img = img.crop(tuple(crop))
    s = width / img.width
    tile = img.resize((width, round(img.height * s)))
    d = ImageDraw.Draw(tile)

    def to_tile(b):
        return [(b[0] - x0) * s, (b[1] - y0) * s, (b[2] - x0) * s,
                (b[3] - y0) * s]

    if pred is not None:
        x1, y1, x2, y2 = pred[1]
        d.rectangle(to_tile([x1 * full_w, y1 * full_h, x2 * full_w,
                             y2 * full_h]),
                    outline=RED if pred[0] else (120, 60, 60), width=2)
    if label is not None and label['present']:
        d.rectangle(to_tile(label['box']), outline=GREEN, width=2)
    d.rectangle([0, 0, width, 12], fill=(0, 0, 0))
    state = 'absent' if label is not None and not label['present'] else ''
    d.text((2, 0), f'{title} {frame} {state}', fill=YELLOW)
    return tile


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('mode', choices=['grid', 'check'])
    parser.add_argument('video', nargs='?')
    parser.add_argument('object', nargs='?')
    parser.add_argument('--set', default='bench', choices=sorted(SETS),
                        help='bench: the benchmark; tune: the tuning split')
    parser.add_argument('--data-root',
                        help='default: the set\'s prepare_real_video.py '
                        'output (data/real_video, data/real_video_tune)')
    parser.add_argument('--out', required=True)
    parser.add_argument('--frames', type=int, nargs='+',
                        help='grid: these frames instead of the keyframes')
    parser.add_argument('--crop', type=int, nargs=4,
                        metavar=('X1', 'Y1', 'X2', 'Y2'))
    parser.add_argument('--step', type=int, default=0,
                        help='grid spacing in original pixels')
    parser.add_argument('--width', type=int, default=0)
    parser.add_argument('--per-sheet', type=int, default=4)
    parser.add_argument('--results', help='check: prediction CSV folder')
    parser.add_argument(
        '--zoom', action='store_true',
        help='check: crop each keyframe around its label (small objects)')
    args = parser.parse_args(argv)
    manifest_path, labels_path = set_files(args.set)
    args.data_root = args.data_root or SETS[args.set][1]
    manifest = load_manifest(manifest_path)
    os.makedirs(args.out, exist_ok=True)
    tasks = [
        t for t in manifest['tasks']
        if args.video in (None, t['video']) and args.object in (None,
                                                                  t['object'])
    ]
    if not tasks:
        raise SystemExit(f'no task {args.video} {args.object} in the '
                         'manifest')
    if args.mode == 'grid':
        task = tasks[0]
        frames = args.frames or keyframes(task)
        w, h = manifest['videos'][task['video']]['size']
        span = (args.crop[2] - args.crop[0]) if args.crop else w
        step = args.step or max(5, round(span / 16 / 5) * 5)
        width = args.width or 660
        for k in range(0, len(frames), args.per_sheet):
            tiles = [
                grid_tile(
                    Image.open(frame_path(args.data_root, task['video'], f)),
                    args.crop, step, width, f'{task["video"]} {f}')
                for f in frames[k:k + args.per_sheet]
            ]
            path = osp.join(
                args.out, f'{task["video"]}_{task["object"]}_'
                f'{frames[k]:06d}.png')
            paste_grid(tiles, 2).save(path)
            print(path)
        return
    labels = {(r['video'], r['object'], r['frame']): r
              for r in load_labels(labels_path)}
    for task in tasks:
        v, o = task['video'], task['object']
        preds = read_predictions(args.results, v, o) if args.results else {}
        tiles, last_box = [], None
        size = manifest['videos'][v]['size']
        for f in keyframes(task):
            label = labels.get((v, o, f))
            if label is not None and label['present']:
                last_box = label['box']
            crop = zoom_window(last_box, size) if args.zoom else None
            tiles.append(
                check_tile(args.data_root, v, f, label, preds.get(f),
                           args.width or 240, o, crop))
        path = osp.join(args.out, f'{v}_{o}.png')
        paste_grid(tiles, 6).save(path)
        print(path)


if __name__ == '__main__':
    main()
