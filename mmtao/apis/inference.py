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
from typing import Dict, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.runner import load_checkpoint
from mmengine.structures import InstanceData

from mmtao.models.trackers import build_tracker
from mmtao.models.trackers.sot_tracker import as_boxes
from mmtao.registry import MODELS
from mmtao.utils import (check_checkpoint_matches, register_all_modules,
                         setup_allocator, setup_num_threads)

ConfigLike = Union[str, Path, Config]


def init_tracker(config: ConfigLike,
                 checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 cfg_options: Optional[dict] = None,
                 num_threads: Optional[int] = None) -> nn.Module:
    """Build a tracker (a ``JointSOTDetector``) from a config file.

    Also sets torch's CPU threads by :func:`mmtao.utils.setup_num_threads`
    (the demos' and ``tools/test.py``'s rule: 1 thread on machines with 2
    cores or fewer) and keeps freed memory in the process
    (:func:`mmtao.utils.setup_allocator`).

    Args:
        config (str | Path | Config): Config file path or the config.
        checkpoint (str, optional): Checkpoint to load. A checkpoint that
            does not fit the model raises a ValueError naming the file.
            Defaults to None (random weights, for smoke runs).
        device (str): Device to put the model on. Defaults to 'cpu'.
        cfg_options (dict, optional): Options merged into the config.
        num_threads (int, optional): Torch CPU threads; None keeps a count
            set explicitly before in this process, else applies the rule.

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
    setup_num_threads(num_threads)
    setup_allocator()
    model_cfg = copy.deepcopy(config.model)
    # weights come from the checkpoint; skip fetching pretrained backbones
    model_cfg.get('backbone', {}).pop('init_cfg', None)
    model = MODELS.build(model_cfg)
    if checkpoint is not None:
        check_checkpoint_matches(
            model, checkpoint, config_name=getattr(config, 'filename', None))
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

    Frames in, tracks out: the config's test ``Resize`` and the model's data
    preprocessor turn a BGR frame into the model's input; the per-object
    state and selection (templates, temporal smoother, presence, "no
    candidate") live in :class:`~mmtao.models.trackers.SOTTracker`, the same
    component as in the test loop.

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
        >>> inferencer.add_objects([[x1, y1, x2, y2]])  # on the last frame
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
        # test_cfg.tracker (e.g. IdentityTracker) when the config has one
        self.tracker = build_tracker(model.test_cfg, temporal)
        self.frame_id = -1

    @property
    def num_objects(self) -> int:
        """int: Number of objects being tracked."""
        return self.tracker.num_objects

    @staticmethod
    def check_frame(img: np.ndarray) -> None:
        """Refuse anything but a non-empty BGR uint8 (H, W, 3) array."""
        expected = 'frames must be BGR uint8 arrays of shape (H, W, 3), got'
        if not isinstance(img, np.ndarray):
            raise ValueError(f'{expected} a {type(img).__name__}')
        if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
            raise ValueError(f'{expected} {img.dtype} of shape {img.shape}')
        if img.shape[0] == 0 or img.shape[1] == 0:
            raise ValueError(f'{expected} an empty frame of shape '
                             f'{img.shape}')

    def _prepare(self, img: np.ndarray):
        self.check_frame(img)
        data = self.pipeline(dict(img=img, img_id=self.frame_id))
        data = self.model.data_preprocessor(
            dict(inputs=[data['inputs']], data_samples=[data['data_samples']]),
            False)
        meta = dict(data['data_samples'][0].metainfo, frame_id=self.frame_id)
        return data['inputs'], meta

    @torch.no_grad()
    def init(self, img: np.ndarray,
             bboxes: Union[Sequence[Sequence[float]], np.ndarray,
                           torch.Tensor]) -> DetDataSample:
        """Start tracking the objects in ``bboxes`` on frame ``img``.

        Args:
            img (np.ndarray): First frame, BGR uint8 (H, W, 3).
            bboxes: (K, 4) or (4, ) boxes, xyxy in image coordinates, K >= 1.

        Returns:
            DetDataSample: ``pred_track_instances`` = the given boxes.
        """
        self.check_frame(img)
        # refuse bad boxes (also a centre off the frame) before the backbone
        as_boxes(bboxes, img_shape=img.shape[:2])
        self.frame_id = 0
        inputs, meta = self._prepare(img)
        pred = self.tracker.init(self.model, inputs, meta, bboxes)
        return self._sample(meta, pred)

    @torch.no_grad()
    def add_objects(
        self, bboxes: Union[Sequence[Sequence[float]], np.ndarray,
                            torch.Tensor]
    ) -> DetDataSample:
        """Start tracking more objects, given on the last frame passed to
        :meth:`init` or :meth:`track` (its features are reused: no second
        backbone pass).

        Args:
            bboxes: (N, 4) or (4, ) boxes, xyxy in that frame's image
                coordinates.

        Returns:
            DetDataSample: ``pred_track_instances`` of all objects on that
            frame, the new ones last (``instances_id`` K..K+N-1, score 1).
        """
        if self.frame_id < 0:
            raise RuntimeError('call init(first_frame, bboxes) before '
                               'add_objects')
        as_boxes(bboxes, 'added bboxes', self.tracker.frame_shape)
        pred = self.tracker.add_objects(self.model, bboxes)
        return self._sample(self.tracker._meta, pred)

    @torch.no_grad()
    def track(self, img: np.ndarray) -> DetDataSample:
        """Locate the tracked objects in the next frame.

        Args:
            img (np.ndarray): BGR uint8 (H, W, 3), the size of the init
                frame.

        Returns:
            DetDataSample: ``pred_track_instances`` with ``bboxes`` (K, 4)
            xyxy image coordinates, ``scores`` (K, ) presence (the chosen
            candidate's detector confidence; 0 for an object with no
            candidate, whose previous box and mask are repeated),
            ``instances_id`` (K, ), ``labels`` (K, ) zeros and, when the
            model tracks masks, ``masks`` (K, H, W) bool.
        """
        if self.frame_id < 0:
            raise RuntimeError('call init(first_frame, bboxes) before track')
        self.check_frame(img)
        self.frame_id += 1
        try:
            inputs, meta = self._prepare(img)
            pred = self.tracker.track(self.model, inputs, meta)
        except BaseException:
            self.frame_id -= 1  # a refused frame is not a frame of the track
            raise
        return self._sample(meta, pred)

    @torch.no_grad()
    def correct(self, bboxes: Dict[int, Sequence[float]]) -> DetDataSample:
        """Redraw objects' boxes on the last frame given to :meth:`init` or
        :meth:`track` (its stored features: no second backbone pass).

        Each corrected object's box becomes its track on that frame and
        joins its template memory (the box it had been given there as a
        negative), see :meth:`SOTTracker.correct`; carry on with
        :meth:`track`.

        Args:
            bboxes (dict[int, Sequence[float]]): Object index -> xyxy box in
                that frame's image coordinates.

        Returns:
            DetDataSample: ``pred_track_instances`` of all objects on that
            frame, the corrected ones with their boxes and score 1.
        """
        if self.frame_id < 0:
            raise ValueError('correct was called before init: there is no '
                             'frame to correct (call init(frame, bboxes))')
        pred = self.tracker.correct(self.model, bboxes)
        return self._sample(self.tracker._meta, pred)

    def get_state(self) -> dict:
        """A detached deep copy of the tracking state after the last frame
        (per-object templates, memory, smoother / motion state, frame
        counter; not the last frame's features)."""
        return dict(frame_id=self.frame_id, tracker=self.tracker.get_state())

    def set_state(self, state: dict) -> None:
        """Continue from a :meth:`get_state` snapshot: the next
        :meth:`track` is the frame after the snapshot's."""
        if not isinstance(state, dict) or 'tracker' not in state \
                or 'frame_id' not in state:
            raise ValueError('set_state expects a snapshot from '
                             f'SOTInferencer.get_state(), got {state!r:.80}')
        self.tracker.set_state(state['tracker'])
        self.frame_id = int(state['frame_id'])

    def _sample(self, meta: dict, pred: InstanceData) -> DetDataSample:
        sample = DetDataSample(metainfo=dict(meta, frame_id=self.frame_id))
        sample.pred_track_instances = InstanceData(
            **{k: v.cpu()
               for k, v in pred.items()})
        return sample
