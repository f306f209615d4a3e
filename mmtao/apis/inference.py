# Copyright (c) mmtao contributors. All rights reserved.
"""Build a tracker from a config and track objects in frames.

The MMTracking-style entry points: :func:`init_tracker` builds the model and
loads a checkpoint; :class:`SOTInferencer` turns raw BGR frames into the
model's inputs (the config's test ``Resize``, the model's data
preprocessor), initialises K objects from boxes in image coordinates and
tracks them frame by frame, optionally with the temporal smoother of
``model.test_cfg.temporal`` (one per object).
"""
import copy
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import scale_boxes
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.runner import load_checkpoint
from mmengine.structures import InstanceData

from mmtao.models.detectors.joint_sot_detector import JointSOTDetector
from mmtao.models.heads.ridge_template_head import check_template_bboxes
from mmtao.registry import MODELS
from mmtao.utils import check_checkpoint_matches, register_all_modules

ConfigLike = Union[str, Path, Config]


def init_tracker(config: ConfigLike,
                 checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 cfg_options: Optional[dict] = None) -> nn.Module:
    """Build a tracker (a ``JointSOTDetector``) from a config file.

    Args:
        config (str | Path | Config): Config file path or the config.
        checkpoint (str, optional): Checkpoint to load. A checkpoint that
            does not fit the model raises a ValueError naming the file.
            Defaults to None (random weights, for smoke runs).
        device (str): Device to put the model on. Defaults to 'cpu'.
        cfg_options (dict, optional): Options merged into the config.

    Returns:
        nn.Module: The model in eval mode, with ``model.cfg`` set.
    """
    if isinstance(config, (str, Path)):
        config = Config.fromfile(str(config))
    elif not isinstance(config, Config):
        raise TypeError('config must be a filename or a Config, '
                        f'got {type(config).__name__}')
    if cfg_options is not None:
        config.merge_from_dict(cfg_options)
    register_all_modules(init_default_scope=False)
    model_cfg = copy.deepcopy(config.model)
    # weights come from the checkpoint; skip fetching pretrained backbones
    model_cfg.get('backbone', {}).pop('init_cfg', None)
    model = MODELS.build(model_cfg)
    if checkpoint is not None:
        check_checkpoint_matches(model, checkpoint)
        load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    model.cfg = config
    model.to(device)
    model.eval()
    return model


def _find_resize(config: Config) -> dict:
    """The ``Resize`` step of the config's test pipeline."""
    pipelines = [config.get('test_pipeline')]
    if config.get('test_dataloader') is not None:
        pipelines.append(config.test_dataloader.dataset.get('pipeline'))
    for pipeline in pipelines:
        for step in pipeline or []:
            if step.get('type', '').split('.')[-1] == 'Resize':
                return dict(step)
    raise ValueError('the config has no Resize step in test_pipeline or '
                     'test_dataloader.dataset.pipeline; SOTInferencer needs '
                     'it to know the input size')


class SOTInferencer:
    """Track K objects in a stream of frames with one backbone+FPN pass each.

    Args:
        model (nn.Module): A tracker from :func:`init_tracker`.
        temporal (bool): Use ``model.test_cfg.temporal`` (the paper's
            temporal smoother) when the config has one. Defaults to True.

    Example:
        >>> inferencer = SOTInferencer(init_tracker(cfg, ckpt))
        >>> inferencer.init(first_frame, [[x1, y1, x2, y2]])
        >>> for frame in frames:
        ...     result = inferencer.track(frame)
        ...     result.pred_track_instances.bboxes  # (K, 4) xyxy
    """

    def __init__(self, model: nn.Module, temporal: bool = True) -> None:
        self.model = model
        resize = _find_resize(model.cfg)
        resize.pop('type')
        self.pipeline = Compose([
            dict(type='mmdet.LoadImageFromNDArray'),
            dict(type='mmdet.Resize', **resize),
            dict(
                type='mmdet.PackDetInputs',
                meta_keys=('img_id', 'ori_shape', 'img_shape',
                           'scale_factor'))
        ])
        temporal_cfg = model.test_cfg.get('temporal') if temporal else None
        self.temporal_cfg = temporal_cfg
        self.smoothers: list = []
        self.num_objects = 0
        self.frame_id = -1

    def _prepare(self, img: np.ndarray):
        if not isinstance(img, np.ndarray) or img.ndim != 3 \
                or img.shape[2] != 3:
            raise ValueError('frames must be BGR uint8 arrays of shape '
                             '(H, W, 3), got '
                             f'{getattr(img, "shape", type(img).__name__)}')
        data = self.pipeline(dict(img=img, img_id=self.frame_id + 1))
        data = self.model.data_preprocessor(
            dict(inputs=[data['inputs']], data_samples=[data['data_samples']]),
            False)
        return data['inputs'], data['data_samples'][0].metainfo

    @torch.no_grad()
    def init(self, img: np.ndarray,
             bboxes: Union[Sequence[Sequence[float]], np.ndarray,
                           torch.Tensor]) -> DetDataSample:
        """Start tracking the objects in ``bboxes`` on frame ``img``.

        Args:
            img (np.ndarray): First frame, BGR (H, W, 3).
            bboxes: (K, 4) or (4, ) boxes, xyxy in image coordinates.

        Returns:
            DetDataSample: ``pred_track_instances`` = the given boxes.
        """
        bboxes = torch.as_tensor(
            np.asarray(bboxes, dtype=np.float32)).reshape(-1, 4)
        check_template_bboxes(bboxes, img.shape[:2], 'init bbox')
        self.frame_id = 0
        inputs, meta = self._prepare(img)
        self.model.init(inputs,
                        scale_boxes(bboxes.clone(), meta['scale_factor']),
                        meta)
        self.num_objects = len(bboxes)
        self.smoothers = []
        if self.temporal_cfg is not None:
            h, w = img.shape[:2]
            with_mask = getattr(self.model, 'with_mask', False)
            for box in bboxes:
                smoother = MODELS.build(self.temporal_cfg)
                # the first "previous mask" is the box area, as in the test
                # loop's frame 0
                smoother.reset(
                    box,
                    JointSOTDetector._box_mask(box, h, w)
                    if with_mask else None)
                self.smoothers.append(smoother)
        return self._result(meta, bboxes, torch.ones(len(bboxes)), None)

    @torch.no_grad()
    def track(self, img: np.ndarray) -> DetDataSample:
        """Locate the initialised objects in the next frame.

        Returns:
            DetDataSample: ``pred_track_instances`` with ``bboxes`` (K, 4)
            xyxy image coordinates, ``scores`` (K, ) (0 for an object with
            no candidate, whose previous box is repeated),
            ``instances_id`` (K, ), ``labels`` (K, ) zeros and, with a mask
            head, ``masks`` (K, H, W) bool.
        """
        if self.frame_id < 0:
            raise RuntimeError('call init(first_frame, bboxes) before track')
        self.frame_id += 1
        inputs, meta = self._prepare(img)
        candidates = self.model.track(inputs, meta, rescale=True)
        h, w = img.shape[:2]
        boxes, scores, masks = [], [], []
        for k, cands in enumerate(candidates):
            cand_masks = cands.masks if 'masks' in cands else None
            if len(cands) == 0:
                boxes.append(self._last.bboxes[k])
                scores.append(torch.zeros(()))
                masks.append(torch.zeros((h, w), dtype=torch.bool))
                continue
            if self.smoothers:
                idx, rescored = self.smoothers[k].select(
                    cands.bboxes, cands.scores, cand_masks)
                idx = int(idx)
                score = torch.as_tensor(rescored).reshape(-1)[idx]
            else:
                idx = int(cands.scores.argmax())
                score = cands.scores[idx]
            boxes.append(cands.bboxes[idx])
            scores.append(score)
            masks.append(cand_masks[idx] if cand_masks is not None else
                         torch.zeros((h, w), dtype=torch.bool))
        with_mask = getattr(self.model, 'with_mask', False)
        return self._result(meta, torch.stack(boxes).cpu(),
                            torch.stack(scores).float().cpu(),
                            torch.stack(masks).cpu() if with_mask else None)

    def _result(self, meta: dict, bboxes: torch.Tensor, scores: torch.Tensor,
                masks: Optional[torch.Tensor]) -> DetDataSample:
        pred = InstanceData(
            bboxes=bboxes.float(),
            scores=scores,
            labels=torch.zeros(len(bboxes), dtype=torch.long),
            instances_id=torch.arange(len(bboxes)))
        if masks is not None:
            pred.masks = masks.bool()
        sample = DetDataSample(metainfo=dict(meta, frame_id=self.frame_id))
        sample.pred_track_instances = pred
        self._last = pred
        return sample
