# Copyright (c) mmtao contributors. All rights reserved.
"""Time a config's tracker against the paper's, interleaved in one run.

On real frames (a GOT-10k-layout sequence, so that memory updates, hard
negatives, the motion prior and search windows do their work), the paper's
tracker (``SOTTracker`` with the config's smoother) and the tracker of
``test_cfg.tracker`` of ``--config`` (an ``IdentityTracker``, a
``SOTTracker`` with a search region, ...) step through the same frames in
turn (A B A B ...), each with K objects (the ground-truth box and K-1
boxes elsewhere). A step is the frame's preparation (each tracker's own
test ``Resize``: ``--paper-config``'s for the paper, the config's for the
other; a search region takes full-resolution frames) and the track step.
Prints the median step per tracker and K, the ratio B/A per K (from pairs
of steps on the same frame) and B's K=max / K=1.

Example::

    python tools/analysis/benchmark_identity.py \\
        configs/tao/tao_mbv2-fpn_320_any-object_identity.py \\
        checkpoints/tao_mbv2-fpn_320_any-object_fp16.pth \\
        --seq data/world/val_seen/SYN_Seen_000001 --num-templates 1 8
"""
import argparse
import os
import os.path as osp
import time

import cv2
import numpy as np
import torch

from mmtao.apis import SOTInferencer, init_tracker
from mmtao.models.trackers import SOTTracker, build_tracker


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--seq', required=True)
    parser.add_argument('--num-templates', type=int, nargs='+',
                        default=[1, 8])
    parser.add_argument('--frames', type=int, default=40)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument(
        '--paper-config',
        default='configs/tao/tao_mbv2-fpn_320_any-object.py',
        help='config whose test Resize prepares the paper tracker\'s frames')
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = init_tracker(args.config, args.checkpoint,
                         num_threads=args.threads)
    paper_model = init_tracker(args.paper_config, args.checkpoint,
                               num_threads=args.threads)
    names = sorted(f for f in os.listdir(args.seq) if f.endswith('.jpg'))
    frames = [cv2.imread(osp.join(args.seq, n))
              for n in names[:args.frames + 1]]
    gt = np.loadtxt(osp.join(args.seq, 'groundtruth.txt'), delimiter=',')[0]
    h, w = frames[0].shape[:2]
    first = [gt[0], gt[1], gt[0] + gt[2], gt[1] + gt[3]]
    preps = dict(
        paper=SOTInferencer(paper_model), ours=SOTInferencer(model))
    models = dict(paper=paper_model, ours=model)
    out = {}
    for k in args.num_templates:
        boxes = [first]
        for j in range(1, k):
            bw, bh = w * (0.1 + 0.03 * (j % 4)), h * (0.12 + 0.03 * (j % 3))
            x1 = (w - bw) * ((j * 0.37) % 1)
            y1 = (h - bh) * ((j * 0.61) % 1)
            boxes.append([x1, y1, x1 + bw, y1 + bh])
        trackers = dict(
            paper=SOTTracker(temporal=model.test_cfg.get('temporal')),
            ours=build_tracker(model.test_cfg))
        times = {name: [] for name in trackers}
        with torch.no_grad():
            for name, t in trackers.items():
                t.init(models[name], *preps[name]._prepare(frames[0]), boxes)
            for i in range(1, len(frames)):
                order = list(trackers.items())
                if i % 2:
                    order.reverse()
                for name, t in order:
                    t0 = time.perf_counter()
                    t.track(models[name], *preps[name]._prepare(frames[i]))
                    times[name].append(time.perf_counter() - t0)
        warm = 3
        a = np.array(times['paper'][warm:])
        b = np.array(times['ours'][warm:])
        out[k] = dict(paper=float(np.median(a)), ours=float(np.median(b)),
                      ratio=float(np.median(b / a)))
        print(f'K={k}: paper {1e3 * out[k]["paper"]:.1f} ms, ours '
              f'{1e3 * out[k]["ours"]:.1f} ms, ours / paper '
              f'{out[k]["ratio"]:.3f} (median of {len(a)} paired steps)')
    ks = sorted(out)
    if len(ks) > 1:
        lo, hi = ks[0], ks[-1]
        for name in ('paper', 'ours'):
            print(f'{name}: K={hi} / K={lo} = '
                  f'{out[hi][name] / out[lo][name]:.3f}')
    return out


if __name__ == '__main__':
    main()
