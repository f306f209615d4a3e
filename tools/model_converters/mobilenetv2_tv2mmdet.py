# Copyright (c) mmtao contributors. All rights reserved.
"""Convert torchvision's ImageNet MobileNetV2 weights to mmdet's keys.

torchvision names the layers ``features.N...`` / ``classifier.1``; mmdet's
:class:`~mmdet.models.backbones.MobileNetV2` names them ``conv1``,
``layer{i}.{j}.{expand,depthwise,linear}_conv`` and ``conv2``. The converted
file holds the backbone only (the ImageNet classifier is dropped) and is what
configs load with::

    backbone=dict(
        type='MobileNetV2',
        init_cfg=dict(type='Pretrained',
                      checkpoint='checkpoints/pretrained/mobilenet_v2_mmdet.pth'))

Usage::

    python tools/model_converters/mobilenetv2_tv2mmdet.py \\
        checkpoints/pretrained/mobilenet_v2-b0353104.pth \\
        checkpoints/pretrained/mobilenet_v2_mmdet.pth

The result is checked against a freshly built mmdet ``MobileNetV2``: every
key of the backbone must be produced, with the same shape, and no source
tensor may be left over (except the classifier).
"""
import argparse
import hashlib
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Tuple

import torch

# torchvision's classifier; not part of the backbone
CLASSIFIER_PREFIX = 'classifier.'
# (expand_ratio, num_blocks) per mmdet layer, from MobileNetV2.arch_settings
_ARCH = [(1, 1), (6, 2), (6, 3), (6, 4), (6, 3), (6, 3), (6, 1)]
_BN_SUFFIXES = ('weight', 'bias', 'running_mean', 'running_var',
                'num_batches_tracked')


def _block_names() -> List[Tuple[str, int]]:
    """mmdet's name and expand ratio of torchvision's ``features.1..17``."""
    names = []
    for i, (expand_ratio, num_blocks) in enumerate(_ARCH):
        for j in range(num_blocks):
            names.append((f'layer{i + 1}.{j}', expand_ratio))
    return names


def _module_map() -> Dict[str, str]:
    """Map torchvision module prefixes to mmdet module prefixes.

    Returns:
        dict: e.g. ``'features.2.conv.1.0' -> 'layer2.0.depthwise_conv.conv'``.
    """
    mapping = {
        'features.0.0': 'conv1.conv',
        'features.0.1': 'conv1.bn',
        'features.18.0': 'conv2.conv',
        'features.18.1': 'conv2.bn',
    }
    for k, (name, expand_ratio) in enumerate(_block_names(), start=1):
        src = f'features.{k}.conv'
        if expand_ratio == 1:
            # no expansion: dw ConvBNReLU, pw conv, bn
            parts = [('0.0', 'depthwise_conv.conv'),
                     ('0.1', 'depthwise_conv.bn'), ('1', 'linear_conv.conv'),
                     ('2', 'linear_conv.bn')]
        else:
            parts = [('0.0', 'expand_conv.conv'), ('0.1', 'expand_conv.bn'),
                     ('1.0', 'depthwise_conv.conv'),
                     ('1.1', 'depthwise_conv.bn'), ('2', 'linear_conv.conv'),
                     ('3', 'linear_conv.bn')]
        for s, d in parts:
            mapping[f'{src}.{s}'] = f'{name}.{d}'
    return mapping


def convert(src: Dict[str, torch.Tensor],
            source: str = 'state_dict') -> 'OrderedDict[str, torch.Tensor]':
    """Rename torchvision MobileNetV2 tensors to mmdet ``MobileNetV2`` keys.

    Args:
        src (dict[str, Tensor]): torchvision state dict (``features.*`` and
            optionally ``classifier.*``), or a dict with a ``'state_dict'``.
        source (str): Name of where ``src`` came from, for error messages.

    Returns:
        OrderedDict[str, Tensor]: The backbone state dict with mmdet's keys,
        checked key by key and shape by shape against mmdet's
        ``MobileNetV2(widen_factor=1.0)``.
    """
    from mmdet.models.backbones import MobileNetV2

    if not isinstance(src, dict):
        raise TypeError(f'{source}: expected a dict of tensors (torchvision '
                        f'MobileNetV2 state dict), got {type(src).__name__}')
    if 'state_dict' in src and isinstance(src['state_dict'], dict):
        src = src['state_dict']
    module_map = _module_map()
    dst = OrderedDict()
    unmapped = []
    for key, value in src.items():
        if key.startswith(CLASSIFIER_PREFIX):
            continue
        module, _, param = key.rpartition('.')
        if module not in module_map:
            unmapped.append(key)
            continue
        dst[f'{module_map[module]}.{param}'] = value
    if unmapped:
        raise KeyError(
            f'{source}: {len(unmapped)} tensors are not those of torchvision '
            f'MobileNetV2 (width 1.0), e.g. {unmapped[:3]}; expected keys '
            "'features.0.0.weight' ... 'features.18.1.running_var' and "
            "'classifier.1.*'")

    expected = MobileNetV2(widen_factor=1.0).state_dict()
    missing = [k for k in expected if k not in dst]
    if missing:
        raise KeyError(f'{source}: the converted weights miss {len(missing)} '
                       f'tensors of mmdet MobileNetV2, e.g. {missing[:3]}')
    for k, v in expected.items():
        if tuple(dst[k].shape) != tuple(v.shape):
            raise ValueError(
                f'{source}: tensor for {k} has shape {tuple(dst[k].shape)}, '
                f'mmdet MobileNetV2 expects {tuple(v.shape)}')
    # keep mmdet's order so the file reads like a saved mmdet backbone
    return OrderedDict((k, dst[k]) for k in expected)


def sha256sum(path: str) -> str:
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert torchvision MobileNetV2 weights to mmdet keys')
    parser.add_argument('src', help='torchvision checkpoint, e.g. '
                        'mobilenet_v2-b0353104.pth')
    parser.add_argument('dst', help='output path, e.g. '
                        'checkpoints/pretrained/mobilenet_v2_mmdet.pth')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if not osp.isfile(args.src):
        raise FileNotFoundError(
            f'source checkpoint not found: {args.src} (tools/install.sh puts '
            'it in checkpoints/pretrained/)')
    src = torch.load(args.src, map_location='cpu', weights_only=True)
    state_dict = convert(src, source=args.src)
    out_dir = osp.dirname(osp.abspath(args.dst))
    os.makedirs(out_dir, exist_ok=True)
    torch.save(
        dict(
            state_dict=state_dict,
            meta=dict(
                source=osp.basename(args.src),
                source_sha256=sha256sum(args.src),
                converter='tools/model_converters/mobilenetv2_tv2mmdet.py')),
        args.dst)
    print(f'wrote {len(state_dict)} tensors to {args.dst} '
          f'(sha256 {sha256sum(args.dst)})')


if __name__ == '__main__':
    main()
