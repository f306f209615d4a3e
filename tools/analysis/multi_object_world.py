# Copyright (c) mmtao contributors. All rights reserved.
"""Track every object of a synthetic world's sequences at once and score
each track on the world's COCO keyframes (K objects, issue 19).

The worlds of ``tools/misc/make_synthetic_world.py`` label every object
(target, distractors, holders, occluders) on every ``--coco-interval``-th
frame in ``annotations/coco.json``, with an ``instance_id`` that is the same
object across frames. Here every object of a sequence's first frame (both
box sides at least ``--min-size`` pixels) is tracked from its first-frame
box by one ``SOTInferencer`` (K objects, one tracker), and each track is
scored on the later keyframes:

* AO / SR0.5 over the keyframes where the object is labelled (its IoU with
  the tracked box; GOT-10k semantics, SR with a strict ``>``);
* identity swaps: keyframes where the track has IoU <= 0.5 with its own
  object and > 0.5 with another labelled object;
* shared tracks: keyframes where two tracks have IoU > 0.5 with each other.

Only sequences with at least two such objects are used. Prints the pooled
numbers, writes ``OUT/scores.json`` (pooled and per sequence) and the
tracked boxes (``OUT/tracks.json``); a later run with ``--score-only``
scores them again.

Example::

    python tools/analysis/multi_object_world.py \\
        configs/tao/tao_mbv2-fpn_416_any-object-mix-crop_search.py \\
        checkpoints/tao_mbv2-fpn_416_any-object-mix-crop_fp16.pth \\
        --data-root data/world/val_seen --out work_dirs/multi_seen \\
        --cfg-options model.test_cfg.tracker.search.split_windows=True
"""
import argparse
import json
import os
import os.path as osp
import time
from collections import defaultdict
from typing import Dict, List

import cv2
import numpy as np
import torch
from mmdet.structures.bbox import bbox_overlaps
from mmengine.config import DictAction
from mmengine.utils import ProgressBar

from mmtao.apis import SOTInferencer, init_tracker
from mmtao.utils.cli import run_cli, silence_known_warnings


def load_keyframes(data_root: str, min_size: float) -> Dict[str, dict]:
    """Per video: ``frames`` {frame_id: {instance_id: xyxy}} and
    ``objects`` (instance ids tracked: those of frame 0, both sides >=
    ``min_size``)."""
    path = osp.join(data_root, 'annotations', 'coco.json')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path} not found: --data-root must be a synthetic world '
            '(tools/misc/make_synthetic_world.py writes annotations/coco.json)')
    with open(path) as f:
        coco = json.load(f)
    images = {im['id']: im for im in coco['images']}
    videos: Dict[str, dict] = defaultdict(lambda: dict(frames={}))
    for ann in coco['annotations']:
        if 'instance_id' not in ann:
            raise ValueError(f'{path}: annotation {ann.get("id")} has no '
                             'instance_id (a world written before instance '
                             'ids; write it again)')
        im = images[ann['image_id']]
        x, y, w, h = ann['bbox']
        frames = videos[im['video']]['frames']
        frames.setdefault(int(im['frame_id']), {})[ann['instance_id']] = [
            x, y, x + w, y + h
        ]
    for video in videos.values():
        first = video['frames'].get(0, {})
        video['objects'] = sorted(
            i for i, b in first.items()
            if min(b[2] - b[0], b[3] - b[1]) >= min_size)
    return dict(videos)


def score_video(video: dict, tracks: Dict[int, List[List[float]]]) -> dict:
    """IoUs, swaps and shared tracks of one video's K tracks (see above)."""
    objs = video['objects']
    ious, swaps, shared, frames = [], 0, 0, 0
    for fid, labels in sorted(video['frames'].items()):
        if fid == 0 or fid not in tracks:
            continue
        pred = torch.tensor(tracks[fid], dtype=torch.float32)
        frames += 1
        pp = bbox_overlaps(pred, pred)
        shared += int((pp.triu(1) > 0.5).sum())
        others = list(labels)
        gts = torch.tensor([labels[i] for i in others], dtype=torch.float32)
        over = bbox_overlaps(pred, gts)  # (K, labelled)
        for k, inst in enumerate(objs):
            if inst not in labels:
                continue
            own = float(over[k, others.index(inst)])
            ious.append(own)
            rest = [j for j, i in enumerate(others) if i != inst]
            if own <= 0.5 and rest and float(over[k, rest].max()) > 0.5:
                swaps += 1
    ious = np.array(ious)
    return dict(
        num_objects=len(objs),
        keyframes=frames,
        present=int(len(ious)),
        ao=float(ious.mean()) if len(ious) else float('nan'),
        sr50=float((ious > 0.5).mean()) if len(ious) else float('nan'),
        swaps=swaps,
        shared=shared,
        ious=ious.round(4).tolist())


def pooled(per_video: Dict[str, dict]) -> dict:
    ious = np.concatenate([np.array(v['ious']) for v in per_video.values()])
    present = max(len(ious), 1)
    return dict(
        videos=len(per_video),
        objects=sum(v['num_objects'] for v in per_video.values()),
        present=int(len(ious)),
        ao=float(ious.mean()),
        sr50=float((ious > 0.5).mean()),
        swap_rate=sum(v['swaps'] for v in per_video.values()) / present,
        shared_pairs=sum(v['shared'] for v in per_video.values()))


def track_video(inferencer: SOTInferencer, seq_dir: str,
                video: dict) -> Dict[int, List[List[float]]]:
    """Boxes of the K tracks on every labelled frame."""
    names = sorted(n for n in os.listdir(seq_dir) if n.endswith('.jpg'))
    if not names:
        raise FileNotFoundError(f'no frames (*.jpg) in {seq_dir}')
    last = max(video['frames'])
    first = [video['frames'][0][i] for i in video['objects']]
    out = {}
    for fid, name in enumerate(names[:last + 1]):
        img = cv2.imread(osp.join(seq_dir, name))
        if img is None:
            raise FileNotFoundError(f'cannot read frame {name} of {seq_dir}')
        if fid == 0:
            inferencer.init(img, first)
            continue
        res = inferencer.track(img).pred_track_instances
        if fid in video['frames']:
            out[fid] = res.bboxes.tolist()
    return out


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--data-root', required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--min-size', type=float, default=8.,
                        help='smallest box side (pixels) of a tracked object')
    parser.add_argument('--max-videos', type=int, default=None)
    parser.add_argument('--score-only', action='store_true',
                        help='score OUT/tracks.json again, no tracking')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--debug', action='store_true',
                        help='show the traceback of an error')
    args = parser.parse_args(argv)
    videos = load_keyframes(args.data_root, args.min_size)
    names = sorted(v for v in videos if len(videos[v]['objects']) >= 2)
    names = names[:args.max_videos]
    os.makedirs(args.out, exist_ok=True)
    track_path = osp.join(args.out, 'tracks.json')
    if args.score_only:
        with open(track_path) as f:
            tracks = {
                v: {int(k): b
                    for k, b in t.items()}
                for v, t in json.load(f).items()
            }
    else:
        model = init_tracker(args.config, args.checkpoint,
                             cfg_options=args.cfg_options)
        tracks, t0, steps = {}, time.perf_counter(), 0
        bar = ProgressBar(len(names))
        with torch.no_grad():
            for name in names:
                tracks[name] = track_video(
                    SOTInferencer(model), osp.join(args.data_root, name),
                    videos[name])
                steps += max(videos[name]['frames'])
                bar.update()
        print(f'\n{steps} frames in {time.perf_counter() - t0:.0f} s')
        with open(track_path, 'w') as f:
            json.dump(tracks, f)
    per_video = {n: score_video(videos[n], tracks[n]) for n in names}
    result = dict(pooled=pooled(per_video), videos=per_video)
    with open(osp.join(args.out, 'scores.json'), 'w') as f:
        json.dump(result, f, indent=1)
    p = result['pooled']
    print(f'{p["videos"]} videos, {p["objects"]} objects, {p["present"]} '
          f'object-keyframes: AO {p["ao"]:.3f} SR0.5 {p["sr50"]:.3f} '
          f'swap rate {p["swap_rate"]:.3f} shared track pairs '
          f'{p["shared_pairs"]}')
    return result


if __name__ == '__main__':
    silence_known_warnings()
    run_cli(main)
