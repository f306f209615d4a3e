# Copyright (c) mmtao contributors. All rights reserved.
"""Write the demo's embedded clip: one held-out synthetic-world sequence.

Renders sequence ``--index`` of a synthetic world split no training run uses
(``--split demo``), and writes it as an H.264 mp4 plus a json with the
ground-truth boxes (``x,y,w,h`` per frame, zeros when the target is absent),
which ``tools/demo/demo_track.py`` reads for its default run::

    python tools/misc/make_demo_clip.py --out demo/synthetic_demo.mp4
"""
import argparse
import json
import os.path as osp
import tempfile

import cv2
import numpy as np

from mmtao.datasets.synthetic import SyntheticWorldGenerator
from mmtao.utils.video_io import Mp4Writer


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='demo/synthetic_demo.mp4')
    parser.add_argument('--num-frames', type=int, default=120)
    parser.add_argument('--seed', type=int, default=2026)
    parser.add_argument('--split', default='demo')
    parser.add_argument('--index', type=int, default=0)
    parser.add_argument('--fps', type=float, default=15.0)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    generator = SyntheticWorldGenerator(
        num_frames=args.num_frames, seed=args.seed, split=args.split)
    name = generator.seq_name(args.index)
    with tempfile.TemporaryDirectory() as tmp:
        generator.write_sequence(tmp, args.index)
        seq = osp.join(tmp, name)
        gt = np.loadtxt(
            osp.join(seq, 'groundtruth.txt'), delimiter=',', ndmin=2)
        absent = np.loadtxt(osp.join(seq, 'absence.label'), ndmin=1)
        with Mp4Writer(args.out, fps=args.fps) as writer:
            for i in range(len(gt)):
                writer.write(cv2.imread(osp.join(seq, f'{i + 1:08d}.jpg')))
        meta = open(osp.join(seq, 'meta_info.ini')).read()
    ann = dict(
        source=f'synthetic world, split {args.split!r}, seed {args.seed}, '
        f'sequence {name}',
        meta_info=meta,
        gt_bboxes_xywh=gt.round(2).tolist(),
        absent=absent.astype(int).tolist())
    with open(osp.splitext(args.out)[0] + '.json', 'w') as f:
        json.dump(ann, f)
    print(f'wrote {args.out} ({len(gt)} frames, target absent in '
          f'{int(absent.sum())}) and its ground truth')


if __name__ == '__main__':
    main()
