# Copyright (c) mmtao contributors. All rights reserved.
"""The torchvision -> mmdet MobileNetV2 converter, tested for real.

mmdet's MobileNetV2 loaded through ``init_cfg=dict(type='Pretrained')`` from
the converted file, followed by the ImageNet classifier of the original
torchvision file, must recognise scikit-image's photos: ``chelsea`` is a cat
(ImageNet classes 281-285) and ``coffee`` an espresso (967).
"""
import importlib.util
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import REPO_ROOT

TV_CKPT = osp.join(REPO_ROOT,
                   'checkpoints/pretrained/mobilenet_v2-b0353104.pth')
CONVERTER = osp.join(REPO_ROOT,
                     'tools/model_converters/mobilenetv2_tv2mmdet.py')

pytestmark = pytest.mark.skipif(
    not osp.isfile(TV_CKPT),
    reason=f'{TV_CKPT} missing: run tools/install.sh first')


def _load_converter():
    spec = importlib.util.spec_from_file_location('mbv2_converter',
                                                  CONVERTER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _imagenet_input(img: np.ndarray) -> torch.Tensor:
    """torchvision's eval transform: resize short side 256, centre crop 224,
    RGB in [0, 1] normalised by the ImageNet mean / std."""
    x = torch.from_numpy(img).permute(2, 0, 1).float()[None] / 255.
    h, w = x.shape[-2:]
    s = 256 / min(h, w)
    x = F.interpolate(
        x, size=(round(h * s), round(w * s)), mode='bilinear',
        antialias=True, align_corners=False)
    h, w = x.shape[-2:]
    top, left = (h - 224) // 2, (w - 224) // 2
    x = x[..., top:top + 224, left:left + 224]
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    return (x - mean) / std


@pytest.fixture(scope='module')
def converted(tmp_path_factory) -> str:
    out = str(tmp_path_factory.mktemp('mbv2') / 'mobilenet_v2_mmdet.pth')
    proc = subprocess.run(
        [sys.executable, CONVERTER, TV_CKPT, out],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'wrote 312 tensors' in proc.stdout
    return out


def test_converted_backbone_classifies_skimage_photos(converted):
    from mmdet.models.backbones import MobileNetV2
    from skimage import data

    backbone = MobileNetV2(
        out_indices=(7, ),
        init_cfg=dict(type='Pretrained', checkpoint=converted))
    backbone.init_weights()
    backbone.eval()
    # every tensor came from the file (not from the random init)
    saved = torch.load(converted, weights_only=True)['state_dict']
    for k, v in backbone.state_dict().items():
        torch.testing.assert_close(v, saved[k], rtol=0, atol=0)

    tv = torch.load(TV_CKPT, weights_only=True)
    fc_w, fc_b = tv['classifier.1.weight'], tv['classifier.1.bias']
    x = torch.cat([_imagenet_input(data.chelsea()),
                   _imagenet_input(data.coffee())])
    with torch.no_grad():
        feat = backbone(x)[0]  # (2, 1280, 7, 7)
        assert feat.shape == (2, 1280, 7, 7)
        logits = F.linear(feat.mean((2, 3)), fc_w, fc_b)
    probs = logits.softmax(1)
    top1 = probs.argmax(1).tolist()
    assert 281 <= top1[0] <= 285, f'chelsea classified as {top1[0]}'
    assert top1[1] == 967, f'coffee classified as {top1[1]}'
    # confident, as with torchvision's own model (0.72 and 0.99 measured)
    assert probs[0, 281:286].sum() > 0.5
    assert probs[1, 967] > 0.9


def test_random_backbone_does_not_classify(converted):
    """The classification above needs the converted weights: a backbone with
    one layer left random fails it (guards against a vacuous test)."""
    from mmdet.models.backbones import MobileNetV2
    from skimage import data

    torch.manual_seed(0)
    backbone = MobileNetV2(out_indices=(7, ))
    backbone.init_weights()
    saved = torch.load(converted, weights_only=True)['state_dict']
    saved = {k: v for k, v in saved.items() if not k.startswith('layer4')}
    backbone.load_state_dict(saved, strict=False)
    backbone.eval()
    tv = torch.load(TV_CKPT, weights_only=True)
    with torch.no_grad():
        feat = backbone(_imagenet_input(data.coffee()))[0]
        logits = F.linear(feat.mean((2, 3)), tv['classifier.1.weight'],
                          tv['classifier.1.bias'])
    assert logits.softmax(1)[0, 967] < 0.5


def test_converter_rejects_foreign_weights():
    converter = _load_converter()
    tv = torch.load(TV_CKPT, weights_only=True)
    # a ResNet-like key is named in the error
    bad = dict(tv)
    bad['layer1.0.conv1.weight'] = torch.zeros(1)
    with pytest.raises(KeyError, match='layer1.0.conv1.weight'):
        converter.convert(bad, source='bad.pth')
    # a missing tensor is reported with its mmdet name
    short = {k: v for k, v in tv.items() if k != 'features.3.conv.1.0.weight'}
    with pytest.raises(KeyError, match='layer2.1.depthwise_conv.conv.weight'):
        converter.convert(short, source='short.pth')
    # a wrong shape (e.g. a width-0.5 model) names key and shapes
    narrow = dict(tv)
    narrow['features.0.0.weight'] = torch.zeros(16, 3, 3, 3)
    with pytest.raises(ValueError, match=r'conv1\.conv\.weight'):
        converter.convert(narrow, source='narrow.pth')
    with pytest.raises(TypeError, match='expected a dict'):
        converter.convert([1, 2], source='list.pth')
