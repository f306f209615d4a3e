# Copyright (c) mmtao contributors. All rights reserved.
"""Time the tracker's parts on one image size, in one process.

Medians over ``--repeat`` runs (after ``--warmup``) of:

(a) the detector forward (detection mode, the config's detection test_cfg),
(b) backbone + FPN alone: the floor no tracker of this design can beat,
(c) one track step with one object: ``SOTTracker.track``, what the test
    loop, the API and the demos run per frame (backbone+FPN, candidates,
    the temporal smoother's choice and the chosen masks),
(d) ``init`` (a backbone+FPN pass on the template frame + the template
    head), and the template head alone on features already computed,
(e) adding an object on a tracked frame (``SOTTracker.add_objects``: the
    template from the frame's stored features, no backbone pass),
(f) the track step with K objects for every K of ``--num-templates``, with
    the lean step (the default) and, for K=1 and the largest K, mmdet's
    per-image predict paths with every candidate's mask (``lean=False``,
    the tested reference) and the same choice;

then the ratios track / (backbone+FPN), track / detect, init / track,
add object / track, lean / mmdet paths and time(K=max) / time(K=1).
``--thread-counts 1 2 0`` times backbone+FPN and a track step per torch
thread count instead. Random weights unless ``--checkpoint`` is given
(speed does not depend on the weights, except through how many boxes pass
the score threshold in detection).

Example::

    python tools/analysis/benchmark_tracker.py \\
        configs/tao/tao_mbv2-fpn_320_synthetic.py --size 320 240
"""
import argparse
import os
import statistics
import time
from typing import Callable, Dict, List

import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config, DictAction
from mmengine.runner import load_checkpoint

from mmtao.models.trackers import SOTTracker
from mmtao.registry import MODELS
from mmtao.utils import (register_all_modules, setup_allocator,
                         setup_num_threads)


def parse_args():
    parser = argparse.ArgumentParser(
        description='Benchmark detect / backbone+FPN / init / track')
    parser.add_argument('config', help='model config file')
    parser.add_argument('--checkpoint', help='optional checkpoint')
    parser.add_argument(
        '--size',
        type=int,
        nargs=2,
        default=[320, 240],
        metavar=('W', 'H'),
        help='input size (w h) after the test pipeline. Default: 320 240')
    parser.add_argument('--repeat', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument(
        '--num-templates',
        type=int,
        nargs='+',
        default=[1, 4, 8],
        help='K values for the multi-object track timing')
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='torch threads. Default: mmtao.utils.setup_num_threads (the '
        'rule the demos, tools/test.py and the API use)')
    parser.add_argument(
        '--thread-counts',
        type=int,
        nargs='+',
        default=None,
        help='instead of the table: time the backbone+FPN pass and one '
        'track step with each of these torch thread counts, round-robin in '
        'this process (0 = all cores)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. model.test_cfg.track.rpn.'
        'max_per_img=50')
    return parser.parse_args()


def median_times(fns: Dict[str, Callable[[], object]], repeat: int,
                 warmup: int) -> Dict[str, float]:
    """Median wall time of each callable in seconds.

    The callables run round-robin, so that the load of a shared machine
    weighs on all of them alike and the ratios stay meaningful.
    """
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: Dict[str, List[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def compare_threads(args, model, img, track: Callable[[], object],
                    num_objects: int) -> None:
    """Median times of backbone+FPN and one track step (``track``, the
    table's step) per thread count, the thread counts interleaved so that
    the machine's load weighs on all of them alike."""
    counts = list(
        dict.fromkeys(c if c > 0 else os.cpu_count()
                      for c in args.thread_counts))
    times = {c: dict(feat=[], track=[]) for c in counts}

    def run(c):
        torch.set_num_threads(c)
        for name, fn in (('feat', lambda: model.extract_feat(img)),
                         ('track', track)):
            start = time.perf_counter()
            fn()
            times[c][name].append(time.perf_counter() - start)

    for i in range(args.warmup + args.repeat):
        for c in counts:
            run(c)
        if i < args.warmup:
            times = {c: dict(feat=[], track=[]) for c in counts}
    h, w = img.shape[-2:]
    print(f'{args.config} at {w}x{h}, K={num_objects}, median of '
          f'{args.repeat}, {os.cpu_count()} cores, load average '
          f'{os.getloadavg()[0]:.1f}:')
    base = statistics.median(times[counts[0]]['track'])
    for c in counts:
        feat = statistics.median(times[c]['feat'])
        track = statistics.median(times[c]['track'])
        print(f'  {c} threads: backbone+FPN {feat * 1000:7.1f} ms, track '
              f'{track * 1000:7.1f} ms ({track / base:4.2f}x '
              f'{counts[0]} thread{"s" if counts[0] > 1 else ""})')


def main():
    args = parse_args()
    setup_num_threads(args.threads)
    setup_allocator()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    register_all_modules()
    model = MODELS.build(cfg.model)
    if args.checkpoint:
        load_checkpoint(model, args.checkpoint, map_location='cpu')
    model.eval()

    w, h = args.size
    g = torch.Generator().manual_seed(0)
    raw = torch.randint(0, 256, (3, h, w), dtype=torch.uint8, generator=g)
    sample = DetDataSample(
        metainfo=dict(
            img_shape=(h, w), ori_shape=(h, w), scale_factor=(1., 1.)))
    data = model.data_preprocessor(
        dict(inputs=[raw], data_samples=[sample]), False)
    img, samples = data['inputs'], data['data_samples']
    meta = samples[0].metainfo
    # K boxes of various sizes and places, inside the image (one more for
    # the added object)
    boxes = []
    for k in range(max(args.num_templates) + 1):
        bw, bh = w * (0.15 + 0.05 * (k % 4)), h * (0.2 + 0.05 * (k % 3))
        x1 = (w - bw) * ((k * 0.37) % 1)
        y1 = (h - bh) * ((k * 0.61) % 1)
        boxes.append([x1, y1, x1 + bw, y1 + bh])
    boxes = torch.tensor(boxes)

    with torch.no_grad():
        feats = model.extract_feat(img)

        def track_with(k, lean=True):
            """A track step of a tracker of k objects on the same frame."""
            tracker = SOTTracker(temporal=model.test_cfg.get('temporal'))
            tracker.init(model, img, meta, boxes[:k])

            def run():
                if lean:
                    return tracker.track(model, img, meta)
                # SOTTracker.track on mmdet's predict paths, every
                # candidate's mask computed
                feats = model.extract_feat(img)
                tracker.last = tracker.select(
                    model.predict_candidates(
                        feats, tracker.templates, meta, True, lean=False))
                return tracker.last

            return run

        # adding an object on a tracked frame: SOTTracker.add_objects from
        # the frame's stored features (the API's add_objects)
        tracker = SOTTracker(temporal=model.test_cfg.get('temporal'))
        tracker.init(model, img, meta, boxes[:1])
        tracker.track(model, img, meta)
        base_state = (tracker.templates, list(tracker.smoothers),
                      tracker.last)

        def add_object():
            tracker.add_objects(model, boxes[-1:])
            tracker.templates, tracker.smoothers, tracker.last = \
                base_state[0], list(base_state[1]), base_state[2]

        k_lo, k_hi = min(args.num_templates), max(args.num_templates)
        if args.thread_counts:
            compare_threads(args, model, img, track_with(k_lo), k_lo)
            return
        fns = {
            'detect':
            lambda: model.predict(img, samples),
            'backbone+FPN':
            lambda: model.extract_feat(img),
            'init':
            lambda: model.init(img, boxes[:1], meta),
            'template only':
            lambda: model.template_head(feats, [boxes[:1]], [meta]),
            'add object':
            add_object,
            'track':
            track_with(1),
            'track (mmdet)':
            track_with(1, lean=False),
        }
        for k in args.num_templates:
            fns[f'track K={k}'] = track_with(k)
        fns[f'K={k_hi} (mmdet)'] = track_with(k_hi, lean=False)
        times = median_times(fns, args.repeat, args.warmup)

    print(f'{args.config} at {w}x{h}, {torch.get_num_threads()} threads, '
          f'median of {args.repeat}:')
    for name, t in times.items():
        print(f'  {name:<15} {t * 1000:8.1f} ms')
    ratios = {
        'track / (backbone+FPN)':
        times['track'] / times['backbone+FPN'],
        'track / detect':
        times['track'] / times['detect'],
        'init / track':
        times['init'] / times['track'],
        'template only / track':
        times['template only'] / times['track'],
        'add object / track':
        times['add object'] / times['track'],
        'track / track (mmdet)':
        times['track'] / times['track (mmdet)'],
        f'time(K={k_hi}) / time(K={k_lo})':
        times[f'track K={k_hi}'] / times[f'track K={k_lo}'],
        f'  same, mmdet paths':
        times[f'K={k_hi} (mmdet)'] / times['track (mmdet)'],
    }
    for name, r in ratios.items():
        print(f'  {name:<24} {r:6.2f}')
    print(f'  tracking speed           {1 / times["track"]:6.1f} FPS')


if __name__ == '__main__':
    main()
