# Copyright (c) mmtao contributors. All rights reserved.
"""Index ImageNet VID's per-frame XML annotations into one SOT json.

ImageNet VID (ILSVRC2015) stores one PASCAL-VOC XML per frame
(``Annotations/VID/<split>/.../<video>/000000.xml``); reading a million of
them at every start is too slow, so this script writes once::

    python tools/dataset_converters/imagenet_vid_to_sot.py \\
        -i data/ILSVRC --split train
    # -> data/ILSVRC/annotations/imagenet_vid_train_sot.json

which :class:`mmtao.datasets.ImageNetVIDDataset` reads. Every object track
(``<trackid>`` of a video) becomes one sequence from its first to its last
frame; frames in between where the track has no box get ``null``. Boxes stay
in the XML's ``xmin, ymin, xmax, ymax`` pixel coordinates (xyxy).

Boxes with zero width or height are a documented, counted skip (``null``,
reported in ``info.skipped_zero_size``); a negative size, a missing field or
an unreadable XML is an error naming the file.
"""
import argparse
import json
import os
import os.path as osp
import xml.etree.ElementTree as ET
from typing import Dict, List, Tuple


def _text(node: ET.Element, tag: str, path: str) -> str:
    child = node.find(tag)
    if child is None or child.text is None:
        raise ValueError(f'{path}: <{tag}> missing in <{node.tag}>')
    return child.text.strip()


def parse_frame_xml(path: str) -> Tuple[Tuple[int, int], List[dict], int]:
    """Parse one frame's XML.

    Returns:
        tuple: ``(width, height)``, the objects (``track_id``, ``category``,
        ``bbox`` xyxy or None, ``occluded``) and how many zero-size boxes
        were skipped.
    """
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        raise ValueError(f'{path}: not a valid XML file ({e})') from None
    size = root.find('size')
    if size is None:
        raise ValueError(f'{path}: <size> missing')
    try:
        wh = (int(_text(size, 'width',
                        path)), int(_text(size, 'height', path)))
    except ValueError as e:
        raise ValueError(f'{path}: bad <size> ({e})') from None
    objects, skipped = [], 0
    for obj in root.findall('object'):
        box = obj.find('bndbox')
        if box is None:
            raise ValueError(f'{path}: <bndbox> missing in <object>')
        try:
            x1, y1, x2, y2 = (
                float(_text(box, t, path))
                for t in ('xmin', 'ymin', 'xmax', 'ymax'))
            track_id = int(_text(obj, 'trackid', path))
        except ValueError as e:
            raise ValueError(f'{path}: non-numeric box or trackid ({e})') \
                from None
        if x2 < x1 or y2 < y1:
            raise ValueError(f'{path}: track {track_id} has a negative box '
                             f'size (xmin={x1:g}, xmax={x2:g}, ymin={y1:g}, '
                             f'ymax={y2:g})')
        bbox = [x1, y1, x2, y2]
        if x2 == x1 or y2 == y1:
            bbox, skipped = None, skipped + 1
        occluded = obj.find('occluded')
        objects.append(
            dict(
                track_id=track_id,
                category=_text(obj, 'name', path),
                bbox=bbox,
                occluded=int(occluded.text)
                if occluded is not None and occluded.text else 0))
    return wh, objects, skipped


def convert(root: str, split: str) -> dict:
    """Build the SOT index of one split (see the module docstring)."""
    ann_root = osp.join(root, 'Annotations', 'VID', split)
    if not osp.isdir(ann_root):
        raise FileNotFoundError(f'{ann_root} is not a directory')
    tracks, categories, skipped, num_videos = [], set(), 0, 0
    for folder, _, files in sorted(os.walk(ann_root)):
        xmls = sorted(f for f in files if f.endswith('.xml'))
        if not xmls:
            continue
        num_videos += 1
        video = osp.relpath(folder, osp.join(root, 'Annotations', 'VID'))
        per_track: Dict[int, dict] = {}
        size = None
        for fname in xmls:
            stem = fname[:-4]
            if not stem.isdigit():
                raise ValueError(f'{osp.join(folder, fname)}: frame XMLs are '
                                 'named 000000.xml ...')
            wh, objects, n_skip = parse_frame_xml(osp.join(folder, fname))
            size = size or wh
            skipped += n_skip
            for obj in objects:
                track = per_track.setdefault(
                    obj['track_id'], dict(category=obj['category'], frames={}))
                track['frames'][int(stem)] = (obj['bbox'], obj['occluded'])
        for track_id in sorted(per_track):
            track = per_track[track_id]
            frames = track['frames']
            present = [f for f, (b, _) in frames.items() if b is not None]
            if not present:
                continue
            start, end = min(present), max(present)
            span = range(start, end + 1)
            categories.add(track['category'])
            tracks.append(
                dict(
                    video=video,
                    track_id=track_id,
                    category=track['category'],
                    start_frame=start,
                    width=size[0],
                    height=size[1],
                    bboxes=[frames.get(f, (None, 0))[0] for f in span],
                    occluded=[frames.get(f, (None, 0))[1] for f in span]))
    return dict(
        info=dict(
            split=split,
            num_videos=num_videos,
            num_tracks=len(tracks),
            skipped_zero_size=skipped),
        categories=sorted(categories),
        tracks=tracks)


def main() -> None:
    parser = argparse.ArgumentParser(
        description='ImageNet VID XMLs -> mmtao SOT json')
    parser.add_argument(
        '-i',
        '--input',
        required=True,
        help='ILSVRC root (has Data/, '
        'Annotations/)')
    parser.add_argument('--split', default='train', choices=['train', 'val'])
    parser.add_argument(
        '-o',
        '--out',
        help='output json (default: '
        '<input>/annotations/imagenet_vid_<split>_sot.json)')
    args = parser.parse_args()
    out = args.out or osp.join(args.input, 'annotations',
                               f'imagenet_vid_{args.split}_sot.json')
    index = convert(args.input, args.split)
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with open(out, 'w') as f:
        json.dump(index, f)
    print(f'{index["info"]["num_tracks"]} tracks from '
          f'{index["info"]["num_videos"]} videos '
          f'({index["info"]["skipped_zero_size"]} zero-size boxes skipped) '
          f'-> {out}')


if __name__ == '__main__':
    main()
