# Copyright (c) mmtao contributors. All rights reserved.
"""The tiny model, frames and candidates the tracker tests share.

A plain module (not a conftest): in a whole-suite run the module name
'conftest' is whichever folder's conftest was imported last.
"""
import importlib.util
import os.path as osp
from typing import List, Sequence, Tuple

import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData
from torch import Tensor

from mmtao.models.trackers import SOTTracker

# frame size of every tracker test
H, W = 48, 64


def tiny_model() -> torch.nn.Module:
    """The tiny version of the paper's model (tests/test_models/conftest.py),
    seeded and in eval mode."""
    # tests/test_models/conftest.py by path, for the reason above
    spec = importlib.util.spec_from_file_location(
        'test_models_conftest',
        osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                 'conftest.py'))
    helpers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helpers)
    return helpers._build_model(helpers.load_model_cfg(
        helpers.TAO_MODEL)).eval()


def frame(model: torch.nn.Module, seed: int = 0) -> Tuple[Tensor, dict]:
    """A random (H, W) frame through the model's data preprocessor.

    Returns:
        tuple: The preprocessed image (1, 3, H, W) and its meta (frame 1).
    """
    img = torch.randint(
        0, 255, (3, H, W), dtype=torch.uint8,
        generator=torch.Generator().manual_seed(seed))
    sample = DetDataSample(
        metainfo=dict(
            img_shape=(H, W), ori_shape=(H, W), scale_factor=(1., 1.)))
    data = model.data_preprocessor(
        dict(inputs=[img], data_samples=[sample]), False)
    return data['inputs'], dict(data['data_samples'][0].metainfo, frame_id=1)


def cands(boxes: Sequence[List[float]],
          scores: Sequence[float]) -> InstanceData:
    """Candidates of one object: xyxy ``boxes`` with their box masks."""
    boxes = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    return InstanceData(
        bboxes=boxes,
        scores=torch.tensor(scores).float(),
        masks=SOTTracker.box_masks(boxes, H, W))
