# Copyright (c) mmtao contributors. All rights reserved.
"""Turn a training checkpoint into a small release checkpoint.

Drops the optimizer, scheduler and message-hub states, stores floating
point weights in float16 (integer buffers such as BatchNorm's
``num_batches_tracked`` are kept), keeps the meta a test needs
(``dataset_meta``, ``iter``, ``cfg``, ``seed``, versions) and prints the file's
size and sha256. mmengine's ``load_checkpoint`` casts the float16 tensors
back to the model's float32 parameters when loading, so ``tools/test.py``
and ``mmtao.apis.init_tracker`` use the file as is.

Example::

    python tools/model_converters/publish_fp16.py \\
        work_dirs/tao_mbv2-fpn_320_synthetic/iter_2400.pth \\
        checkpoints/tao_mbv2-fpn_320_synthetic_fp16.pth
"""
import argparse
import hashlib
import os
import os.path as osp
from collections import OrderedDict

import torch

from mmtao.utils import load_checkpoint_file

KEEP_META = ('dataset_meta', 'iter', 'epoch', 'cfg', 'seed',
             'experiment_name', 'mmengine_version', 'mmengine', 'time')


def to_release(checkpoint: dict, source: str = 'checkpoint') -> dict:
    """The release form of a Runner checkpoint.

    Args:
        checkpoint (dict): As saved by mmengine (``state_dict``, ``meta``,
            ``optimizer``, ...), or a bare state dict.
        source (str): Name used in error messages.

    Returns:
        dict: ``dict(state_dict=..., meta=...)`` with float16 weights.
    """
    state_dict = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state_dict, dict) or not state_dict:
        raise ValueError(f'{source}: no state_dict of tensors found')
    out = OrderedDict()
    for key, value in state_dict.items():
        if not torch.is_tensor(value):
            raise TypeError(f'{source}: state_dict[{key!r}] is a '
                            f'{type(value).__name__}, not a tensor')
        # 'module.' comes from DDP-wrapped training
        key = key[len('module.'):] if key.startswith('module.') else key
        out[key] = value.half() if value.is_floating_point() else value
    meta = {
        k: v
        for k, v in checkpoint.get('meta', {}).items() if k in KEEP_META
    }
    meta['precision'] = 'float16'
    return dict(state_dict=out, meta=meta)


def sha256sum(path: str) -> str:
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write a float16 release checkpoint')
    parser.add_argument('src', help='training checkpoint (iter_N.pth)')
    parser.add_argument('dst', help='output .pth')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    release = to_release(load_checkpoint_file(args.src), source=args.src)
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save(release, args.dst)
    size_mb = osp.getsize(args.dst) / 2**20
    num = sum(v.numel() for v in release['state_dict'].values())
    print(f'wrote {args.dst}: {len(release["state_dict"])} tensors, '
          f'{num / 1e6:.2f} M values, {size_mb:.2f} MiB, '
          f'sha256 {sha256sum(args.dst)}')


if __name__ == '__main__':
    main()
