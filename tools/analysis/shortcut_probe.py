# Copyright (c) mmtao contributors. All rights reserved.
"""Is "pasted = object" a shortcut? The same target in its photo vs pasted.

Builds paired sequences from the *val* photo pool (never used for training;
``--pool train`` takes the training photos instead: a split to choose
tracker settings on, as ``val_seen`` is for the synthetic world):
one real region of a photo (cut along segment boundaries), moved by a camera
(zoom, roll, pan) and a local warp, rendered three ways with the same target
pixels and the same ground truth on every frame:

- ``context``: left in its own photo (no pasted edge anywhere);
- ``pasted``: the same pixels cut out along the mask and pasted with hard
  edges on another val photo seen by the same camera;
- ``blended``: pasted as above, with a feathered edge, the background's blur
  and a pull of the colours towards the surroundings.

Every frame gets the same sensor noise in all three. Targets come in three
sizes (long side at 640x480: small 40-90, medium 100-220, large 250-440 px).
Each condition is written as a GOT-10k folder (``OUT/<condition>/``), so any
tracker can run on it (``run_opencv_tracker.py``); with ``--config`` our
model tracks it here and the table (AO, SR0.5, SR0.75 per condition and
size) is printed and saved as ``OUT/<name>_scores.json``. Example::

    OMP_NUM_THREADS=1 python tools/analysis/shortcut_probe.py \\
        --photo-root data/world --out work_dirs/shortcut_probe \\
        --config configs/tao/tao_mbv2-fpn_320_any-object.py \\
        --checkpoint checkpoints/tao_mbv2-fpn_320_any-object_fp16.pth \\
        --name shipped
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Optional

import cv2
import numpy as np
from mmengine.utils import ProgressBar

from mmtao.datasets.synthetic.context_render import (Blend, ContextTarget,
                                                     add_noise, camera_matrix,
                                                     min_cover_scale, paste,
                                                     render_context,
                                                     segment_region,
                                                     warp_weight)
from mmtao.datasets.synthetic.identity_bank import PhotoBank
from mmtao.evaluation.functional import eval_got10k

CONDITIONS = ('context', 'pasted', 'blended')
BUILD_FILE = 'probe_build.json'  # the build arguments of a probe folder
SIZES = {'small': (40, 90), 'medium': (100, 220), 'large': (250, 440)}


def _ease(a: np.ndarray, b: np.ndarray, num: int) -> np.ndarray:
    u = (1 - np.cos(np.pi * np.linspace(0, 1, num))) / 2
    u = u.reshape((-1, ) + (1, ) * np.ndim(a))
    return np.asarray(a) * (1 - u) + np.asarray(b) * u


def plan_probe(rng: np.random.Generator,
               photo: np.ndarray,
               size: float,
               img_size=(640, 480),
               num_frames: int = 40,
               grow: Optional[float] = None) -> Optional[ContextTarget]:
    """An in-context target of long side ``size`` px (frame 0) moving
    across the frame; None when the photo gives no usable region.

    ``grow``: the target's size on the last frame over the first (the
    camera zooms in); None: a random 0.74-1.35x.
    """
    W, H = img_size
    ph, pw = photo.shape[:2]
    region = None
    for _ in range(8):
        region = segment_region(rng, photo, (0.15, 0.6))
        if region is not None:
            break
    if region is None:
        return None
    x0, y0, mask = region
    long_r = max(mask.shape)
    angle = _ease(0.0, rng.uniform(-10, 10), num_frames)
    scale0 = size / long_r
    zoom = np.exp(rng.uniform(-0.3, 0.3))
    scale = _ease(scale0, scale0 * (zoom if grow is None else grow),
                  num_frames)
    cover = np.array([min_cover_scale(a, img_size, (ph, pw)) for a in angle])
    scale = np.maximum(scale, 1.02 * cover)
    band = 0.8 * long_r
    theta = rng.uniform(0, 2 * np.pi)
    disp = _ease(np.zeros(2),
                 0.45 * band * np.array([np.cos(theta), np.sin(theta)]),
                 num_frames)
    # the region centre crosses the frame: from near one side to the other
    start = np.array([W, H]) / 2 + rng.uniform(-0.2, 0.2, 2) * [W, H]
    end = np.array([W, H]) - start + rng.uniform(-0.1, 0.1, 2) * [W, H]
    screen = _ease(start, end, num_frames)
    c = np.array([x0 + mask.shape[1] / 2, y0 + mask.shape[0] / 2])
    centre = np.zeros((num_frames, 2))
    for t in range(num_frames):
        rot = cv2.getRotationMatrix2D((0, 0), float(angle[t]), 1.0)[:, :2]
        m = c + disp[t] - rot.T @ (screen[t] - [W / 2, H / 2]) / scale[t]
        ca, sa = abs(np.cos(np.deg2rad(angle[t]))), abs(
            np.sin(np.deg2rad(angle[t])))
        hx = (W / 2 * ca + H / 2 * sa) / scale[t]
        hy = (W / 2 * sa + H / 2 * ca) / scale[t]
        centre[t] = np.clip(m, [hx, hy], [pw - hx, ph - hy])
    full = np.zeros((ph, pw), np.uint8)
    full[y0:y0 + mask.shape[0], x0:x0 + mask.shape[1]][mask] = 255
    return ContextTarget(photo, x0, y0, mask, warp_weight(full, band), scale,
                         angle, centre, disp)


def render_probe(ctx: ContextTarget, other: np.ndarray, condition: str,
                 blend: Blend, noise_seed: int, img_size=(640, 480)):
    """Frames and ground-truth masks of one condition."""
    full = ctx.full_mask()
    other = cv2.resize(other, ctx.photo.shape[1::-1],
                       interpolation=cv2.INTER_AREA)
    rng = np.random.default_rng(noise_seed)
    frames, masks = [], []
    for t in range(len(ctx.scale)):
        img, mask = render_context(ctx, t, img_size, full)
        if condition != 'context':
            cam = camera_matrix(ctx.scale[t], ctx.angle[t], ctx.centre[t],
                                img_size)
            bg = cv2.warpAffine(other, cam, img_size, flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REFLECT)
            paste(bg, img, mask, blend if condition == 'blended' else None)
            img = bg
        frames.append(add_noise(img, 2.0, rng))
        masks.append(mask)
    return frames, masks


def build(photo_root: Optional[str],
          out: str,
          num_per_size: int,
          num_frames: int,
          seed: int,
          grow: Optional[float] = None,
          pool: str = 'val') -> List[str]:
    """Write the three condition folders; returns the sequence names.

    With ``grow``, every target starts at 60-100 px (the size group
    ``grow``) and ends ``grow`` times larger.
    """
    photos = PhotoBank(pool, photo_root)
    rng = np.random.default_rng(seed)
    names, k = [], 0
    sizes = SIZES if grow is None else {'grow': (60, 100)}
    bar = ProgressBar(num_per_size * len(sizes))
    for size_name, (lo, hi) in sizes.items():
        made = 0
        while made < num_per_size:
            k += 1
            i = int(rng.integers(len(photos)))
            j = (i + 1 + int(rng.integers(len(photos) - 1))) % len(photos)
            ctx = plan_probe(
                rng,
                photos.photo(i),
                rng.uniform(lo, hi),
                num_frames=num_frames,
                grow=grow)
            if ctx is None:
                continue
            blend = Blend(1.5, 0.8, 0.3)
            name = f'PROBE_{len(names) + 1:03d}_{size_name}'
            for cond in CONDITIONS:
                frames, masks = render_probe(ctx, photos.photo(j), cond,
                                             blend, seed * 1000 + k)
                _write_sequence(osp.join(out, cond, name), frames, masks)
            names.append(name)
            made += 1
            bar.update()
    for cond in CONDITIONS:
        with open(osp.join(out, cond, 'list.txt'), 'w') as f:
            f.write('\n'.join(names) + '\n')
    with open(osp.join(out, BUILD_FILE), 'w') as f:
        json.dump(
            dict(
                pool=pool,
                seed=seed,
                num_per_size=num_per_size,
                num_frames=num_frames,
                grow=grow),
            f,
            indent=1)
    return names


def build_args(out: str, given: Dict[str, object]) -> Dict[str, object]:
    """The build arguments of the probe folder ``out``: those it was built
    with (recorded in ``out/probe_build.json``) when it exists, else
    ``given`` with defaults for the ones not given (None).

    Raises:
        SystemExit: An existing folder was built with another value of an
            argument given now (its sequences would be scored as if they
            were the asked ones), or it holds no record.
    """
    defaults = dict(pool='val', seed=0, num_per_size=6, num_frames=40,
                    grow=None)
    if not osp.isfile(osp.join(out, CONDITIONS[0], 'list.txt')):
        return {k: defaults[k] if given.get(k) is None else given[k]
                for k in defaults}
    record = osp.join(out, BUILD_FILE)
    if not osp.isfile(record):
        raise SystemExit(
            f'{out} holds a probe without {BUILD_FILE} (built before build '
            'arguments were recorded): rebuild it in a new --out folder')
    with open(record) as f:
        built = json.load(f)
    wrong = [
        f'--{k.replace("_", "-")} {v} (built with {built.get(k)})'
        for k, v in given.items() if v is not None and built.get(k) != v
    ]
    if wrong:
        raise SystemExit(f'{out} was built with other arguments than asked: '
                         f'{", ".join(wrong)}; use another --out folder or '
                         'leave these arguments out to score it as built')
    return built


def _write_sequence(seq_dir: str, frames, masks) -> None:
    os.makedirs(seq_dir, exist_ok=True)
    gt = []
    for t, (img, mask) in enumerate(zip(frames, masks)):
        cv2.imwrite(osp.join(seq_dir, f'{t + 1:08d}.jpg'), img,
                    [int(cv2.IMWRITE_JPEG_QUALITY), 92])
        x, y, w, h = cv2.boundingRect(mask.astype(np.uint8))
        gt.append(f'{x},{y},{w},{h}')
    for fname, lines in (('groundtruth.txt', gt),
                         ('absence.label', ['0'] * len(gt)),
                         ('cover.label', ['8'] * len(gt))):
        with open(osp.join(seq_dir, fname), 'w') as f:
            f.write('\n'.join(lines) + '\n')


def track_folder(inferencer_factory, data_root: str, names: List[str],
                 result_dir: str) -> None:
    """Run our tracker over a condition folder; GOT-10k result files."""
    bar = ProgressBar(len(names))
    for name in names:
        seq_dir = osp.join(data_root, name)
        gt = np.loadtxt(osp.join(seq_dir, 'groundtruth.txt'), delimiter=',')
        files = sorted(f for f in os.listdir(seq_dir) if f.endswith('.jpg'))
        inf = inferencer_factory()
        boxes = []
        for t, f in enumerate(files):
            img = cv2.imread(osp.join(seq_dir, f))
            if t == 0:
                x, y, w, h = gt[0]
                inf.init(img, [[x, y, x + w, y + h]])
                boxes.append([x, y, w, h])
                continue
            res = inf.track(img).pred_track_instances
            b = res.bboxes[0].tolist() if len(res.bboxes) else [0, 0, 0, 0]
            boxes.append([b[0], b[1], b[2] - b[0], b[3] - b[1]])
        os.makedirs(osp.join(result_dir, name), exist_ok=True)
        np.savetxt(
            osp.join(result_dir, name, f'{name}_001.txt'),
            np.asarray(boxes),
            fmt='%.4f',
            delimiter=',')
        bar.update()


def score(data_root: str, result_dir: str, names: List[str]) -> Dict:
    """AO / SR per size group and overall (GOT-10k, frame 0 excluded)."""
    preds, gts, groups = [], [], []
    for name in names:
        gt = np.loadtxt(osp.join(data_root, name, 'groundtruth.txt'),
                        delimiter=',').reshape(-1, 4)
        pred = np.loadtxt(
            osp.join(result_dir, name, f'{name}_001.txt'),
            delimiter=',').reshape(-1, 4)
        gt[:, 2:] += gt[:, :2]
        pred[:, 2:] += pred[:, :2]
        preds.append(pred)
        gts.append(gt)
        groups.append(name.rsplit('_', 1)[1])
    out = {}
    for group in ['all'] + list(SIZES) + ['grow']:
        idx = [i for i, g in enumerate(groups) if group in ('all', g)]
        if not idx:
            continue
        r = eval_got10k([preds[i] for i in idx], [gts[i] for i in idx],
                        [np.ones(len(gts[i]), bool) for i in idx],
                        image_sizes=[(640, 480)] * len(idx))
        out[group] = {k: round(float(r[k]), 4)
                      for k in ('AO', 'SR0.5', 'SR0.75')}
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', required=True)
    parser.add_argument('--photo-root', default=None)
    # build arguments: None = as recorded in an existing --out (else the
    # defaults of build_args)
    parser.add_argument('--num-per-size', type=int, default=None)
    parser.add_argument('--num-frames', type=int, default=None)
    parser.add_argument('--seed', type=int, default=None)
    parser.add_argument(
        '--grow',
        type=float,
        default=None,
        help='targets grow this many times over the sequence (from 60-100 '
        'px; the growth test of issue 18), instead of the three sizes')
    parser.add_argument(
        '--pool',
        choices=('val', 'train'),
        default=None,
        help='photo pool of the targets (val, the default: never trained '
        'on)')
    parser.add_argument(
        '--conditions',
        nargs='+',
        choices=CONDITIONS,
        default=list(CONDITIONS),
        help='conditions to track and score')
    parser.add_argument('--config', help='our model: config')
    parser.add_argument('--checkpoint', help='our model: checkpoint')
    parser.add_argument('--name', default='ours', help='results name')
    parser.add_argument(
        '--results',
        nargs='*',
        default=[],
        metavar='NAME=PATTERN',
        help='also score result folders of other trackers; PATTERN holds '
        '{condition}, e.g. csrt=work_dirs/csrt_{condition}')
    args = parser.parse_args(argv)
    list_file = osp.join(args.out, CONDITIONS[0], 'list.txt')
    b = build_args(
        args.out,
        dict(
            pool=args.pool,
            seed=args.seed,
            num_per_size=args.num_per_size,
            num_frames=args.num_frames,
            grow=args.grow))
    if osp.isfile(list_file):
        with open(list_file) as f:
            names = [n.strip() for n in f if n.strip()]
    else:
        names = build(args.photo_root, args.out, b['num_per_size'],
                      b['num_frames'], b['seed'], b['grow'], b['pool'])
    trackers = dict(r.split('=', 1) for r in args.results)
    if args.config:
        from mmtao.apis import SOTInferencer, init_tracker
        model = init_tracker(args.config, args.checkpoint, num_threads=1)
        pattern = osp.join(args.out, args.name + '_{condition}')
        for cond in args.conditions:
            print(f'\n{args.name}: {cond}', file=sys.stderr)
            track_folder(lambda: SOTInferencer(model),
                         osp.join(args.out, cond), names,
                         pattern.format(condition=cond))
        trackers = {args.name: pattern, **trackers}
    table = {}
    for tracker, pattern in trackers.items():
        table[tracker] = {
            cond: score(
                osp.join(args.out, cond), pattern.format(condition=cond),
                names)
            for cond in args.conditions
        }
        with open(osp.join(args.out, f'{tracker}_scores.json'), 'w') as f:
            json.dump(table[tracker], f, indent=1)
    print('\n| tracker | condition | AO all | SR0.5 | SR0.75 | AO small | '
          'AO medium | AO large |')
    print('|---|---|---|---|---|---|---|---|')
    for tracker, per_cond in table.items():
        for cond, s in per_cond.items():
            print(f"| {tracker} | {cond} | {s['all']['AO']:.3f} | "
                  f"{s['all']['SR0.5']:.3f} | {s['all']['SR0.75']:.3f} | " +
                  ' | '.join(f"{s[g]['AO']:.3f}" if g in s else '-'
                             for g in SIZES) + ' |')


if __name__ == '__main__':
    main()
