# Copyright (c) mmtao contributors. All rights reserved.
"""Interpolate two checkpoints of one model: ``(1 - alpha) A + alpha B``.

Weight-space interpolation between a model and its fine-tuned
continuation (WiSE-FT, Wortsman et al. 2022): here real2-crop (A) and
real3-crop (B), real2-crop continued on a mostly in-context world, so the
interpolation keeps part of each one's gains. Floating point tensors are
interpolated in float32 (BatchNorm statistics included); integer buffers
(``num_batches_tracked``) are B's. The result is written as a float16
release checkpoint (``publish_fp16.to_release``) whose meta says what was
interpolated; its size and sha256 are printed.

Example::

    python tools/model_converters/interpolate_weights.py \\
        checkpoints/tao_mbv2-fpn_416_any-object-real2-crop_fp16.pth \\
        checkpoints/tao_mbv2-fpn_416_any-object-real3-crop_fp16.pth \\
        --alpha 0.5 --out checkpoints/tao_mbv2-fpn_416_any-object-wise_fp16.pth
"""
import argparse
import importlib.util
import os
import os.path as osp
from collections import OrderedDict
from typing import Optional, Sequence

import torch

from mmtao.utils import load_checkpoint_file


def _publish():
    """publish_fp16.py beside this file (a script, not a package)."""
    spec = importlib.util.spec_from_file_location(
        'publish_fp16', osp.join(osp.dirname(__file__), 'publish_fp16.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def interpolate(a: dict, b: dict, alpha: float, names=('A', 'B')) -> dict:
    """``(1 - alpha) a + alpha b`` of two state dicts of one model.

    Args:
        a (dict): State dict A (tensors).
        b (dict): State dict B, the same keys and shapes.
        alpha (float): B's share, in [0, 1].
        names (tuple[str]): How errors name A and B.

    Returns:
        dict: Float32 floating point tensors, B's integer tensors.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f'alpha must be in [0, 1], got {alpha}')
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    if only_a or only_b:
        raise ValueError(
            f'{names[0]} and {names[1]} are not one model: keys only in '
            f'{names[0]}: {only_a[:3]}, only in {names[1]}: {only_b[:3]}')
    out = OrderedDict()
    for key, vb in b.items():
        va = a[key]
        if va.shape != vb.shape:
            raise ValueError(f'{key}: shape {tuple(va.shape)} in {names[0]} '
                             f'but {tuple(vb.shape)} in {names[1]}')
        if vb.is_floating_point():
            out[key] = (1 - alpha) * va.float() + alpha * vb.float()
        else:
            out[key] = vb.clone()
    return out


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('a', help='checkpoint A (alpha = 0)')
    parser.add_argument('b', help='checkpoint B (alpha = 1)')
    parser.add_argument('--alpha', type=float, required=True)
    parser.add_argument('--out', required=True, help='output .pth')
    args = parser.parse_args(argv)
    ckpt_a, ckpt_b = load_checkpoint_file(args.a), load_checkpoint_file(args.b)
    state = interpolate(
        ckpt_a.get('state_dict', ckpt_a),
        ckpt_b.get('state_dict', ckpt_b),
        args.alpha,
        names=(args.a, args.b))
    publish = _publish()
    release = publish.to_release(
        dict(state_dict=state, meta=ckpt_b.get('meta', {})), source=args.b)
    release['meta']['interpolated'] = dict(
        a=osp.basename(args.a), b=osp.basename(args.b), alpha=args.alpha)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    torch.save(release, args.out)
    print(f'wrote {args.out}: (1 - {args.alpha}) A + {args.alpha} B, '
          f'{osp.getsize(args.out) / 2**20:.2f} MiB, '
          f'sha256 {publish.sha256sum(args.out)}')


if __name__ == '__main__':
    main()
