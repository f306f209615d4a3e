# Copyright (c) mmtao contributors. All rights reserved.
"""Time the tracker's parts on one image size, in one process.

Medians over ``--repeat`` runs (after ``--warmup``) of:

(a) the detector forward (detection mode, the config's detection test_cfg),
(b) backbone + FPN alone: the floor no tracker of this design can beat,
(c) one ``track`` step with one template,
(d) ``init`` (a backbone+FPN pass on the template frame + the template
    head), and the template head alone on features already computed,
(e) ``track`` with K templates for every K of ``--num-templates``;

then the ratios track / (backbone+FPN), track / detect, init / track and
time(K=max) / time(K=1). Random weights unless ``--checkpoint`` is given
(speed does not depend on the weights, except through how many boxes pass
the score threshold in detection).

Example::

    python tools/analysis/benchmark_tracker.py \\
        configs/tao/tao_mbv2-fpn_320_synthetic.py --size 320 240
"""
import argparse
import statistics
import time
from typing import Callable, Dict, List

import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config, DictAction
from mmengine.runner import load_checkpoint

from mmtao.registry import MODELS
from mmtao.utils import register_all_modules


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
        '--threads', type=int, default=None, help='torch threads')
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


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
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
    # K boxes of various sizes and places, inside the image
    boxes = []
    for k in range(max(args.num_templates)):
        bw, bh = w * (0.15 + 0.05 * (k % 4)), h * (0.2 + 0.05 * (k % 3))
        x1 = (w - bw) * ((k * 0.37) % 1)
        y1 = (h - bh) * ((k * 0.61) % 1)
        boxes.append([x1, y1, x1 + bw, y1 + bh])
    boxes = torch.tensor(boxes)

    with torch.no_grad():
        feats = model.extract_feat(img)
        templates = {
            k: model.init(img, boxes[:k], meta).clone()
            for k in args.num_templates
        }

        def track_with(k):

            def run():
                model._templates = templates[k]
                return model.track(img, meta)

            return run

        fns = {
            'detect':
            lambda: model.predict(img, samples),
            'backbone+FPN':
            lambda: model.extract_feat(img),
            'init':
            lambda: model.init(img, boxes[:1], meta),
            'template only':
            lambda: model.template_head(feats, [boxes[:1]], [meta]),
            'track':
            track_with(1),
        }
        for k in args.num_templates:
            fns[f'track K={k}'] = track_with(k)
        times = median_times(fns, args.repeat, args.warmup)

    print(f'{args.config} at {w}x{h}, {torch.get_num_threads()} threads, '
          f'median of {args.repeat}:')
    for name, t in times.items():
        print(f'  {name:<14} {t * 1000:8.1f} ms')
    k_lo, k_hi = min(args.num_templates), max(args.num_templates)
    ratios = {
        'track / (backbone+FPN)':
        times['track'] / times['backbone+FPN'],
        'track / detect':
        times['track'] / times['detect'],
        'init / track':
        times['init'] / times['track'],
        'template only / track':
        times['template only'] / times['track'],
        f'time(K={k_hi}) / time(K={k_lo})':
        times[f'track K={k_hi}'] / times[f'track K={k_lo}'],
    }
    for name, r in ratios.items():
        print(f'  {name:<24} {r:6.2f}')
    print(f'  tracking speed           {1 / times["track"]:6.1f} FPS')


if __name__ == '__main__':
    main()
