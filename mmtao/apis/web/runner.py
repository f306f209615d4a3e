# Copyright (c) mmtao contributors. All rights reserved.
"""The tracking loops of the browser demo's jobs.

:func:`run_track` is the CLI demo's loop (``iter_tracks`` +
``TrackOutputWriter`` of :mod:`mmtao.apis.video_tracking`) plus the mask
export, corrections on later frames (the tracker's ``correct``, continuing
from a kept ``get_state`` snapshot) and a stop check after every frame; a
stopped run leaves every file valid up to its last frame. :func:`run_preview`
tracks a few frames into one picture.
"""
import os.path as osp
import time
from typing import Callable, Dict, List, Sequence

import numpy as np

from .mask_export import MaskExporter
from .videos import safe_stem

#: called after every frame: ``progress(index, done, scores)``; raises to
#: stop the run (a cancel), which keeps the files so far
Progress = Callable[[int, int, np.ndarray], None]


def xywh_to_xyxy(box: Sequence[float]) -> List[float]:
    x, y, w, h = box
    return [x, y, x + w, y + h]


def _arrays(result):
    pred = result.pred_track_instances
    masks = pred.masks.cpu().numpy() if 'masks' in pred else None
    return pred.bboxes.cpu().numpy(), pred.scores.cpu().numpy(), masks


def _sample(bboxes: np.ndarray, scores: np.ndarray, masks: np.ndarray):
    """A ``DetDataSample`` holding a frame of an earlier result."""
    import torch
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    sample = DetDataSample()
    sample.pred_track_instances = InstanceData(
        bboxes=torch.from_numpy(bboxes), scores=torch.from_numpy(scores),
        masks=torch.from_numpy(masks))
    return sample


def read_masks(json_path: str, frames: Sequence[int]) -> Dict[int, tuple]:
    """Frames of a :class:`MaskExporter` json: ``{frame: (bboxes (K, 4)
    xyxy, scores (K, ), masks (K, H, W) bool)}``."""
    import json

    from pycocotools import mask as mask_utils
    with open(json_path) as f:
        coco = json.load(f)
    wanted, out = set(frames), {}
    by_frame: Dict[int, list] = {}
    for ann in coco['annotations']:
        if ann['image_id'] in wanted:
            by_frame.setdefault(ann['image_id'], []).append(ann)
    for index, anns in by_frame.items():
        anns.sort(key=lambda a: a['object'])
        boxes = np.array([[x, y, x + w, y + h]
                          for x, y, w, h in (a['bbox'] for a in anns)],
                         np.float32)
        scores = np.array([a['score'] for a in anns], np.float32)
        masks = np.stack([
            mask_utils.decode(a['segmentation']).astype(bool) for a in anns
        ])
        out[index] = (boxes, scores, masks)
    return out


def run_track(job, model, temporal: bool, out_dir: str,
              progress: Progress, max_snapshots: int = 40) -> None:
    """Track ``job`` from its start frame, writing into ``out_dir``.

    Writes the mp4, the txt and the contact sheet (``TrackOutputWriter``),
    ``NAME_masks.json`` / ``NAME_masks.zip`` (:class:`MaskExporter`), and
    publishes them on ``job.outputs`` whatever stops the run. Corrections
    go through the tracker's ``SOTInferencer.correct`` after that frame's
    track step. The tracker's state (``get_state``) is kept every
    ``total / max_snapshots`` frames in ``job.snapshots``: a later
    correction job (``job.resume = (earlier_job, frame)``) copies the
    earlier result up to that frame and continues from its state
    (``set_state``) instead of tracking those frames again.

    Args:
        job: A :class:`~.jobs.Job` (video, start_frame, total, boxes_xywh,
            corrections ``{frame: {object: xywh}}``, resume).
        model: The tracker from ``init_tracker``.
        temporal (bool): Use the config's temporal smoother.
        out_dir (str): The job's folder.
        progress (Progress): After every frame; raising stops the run.
        max_snapshots (int): Most tracker states kept. Defaults to 40.
    """
    from mmtao.apis import SOTInferencer
    from mmtao.apis.video_tracking import (SHEET_FRAMES, TrackOutputWriter,
                                           iter_tracks)
    from mmtao.utils.video_io import FrameReader

    video, start = job.video, job.start_frame
    end = start + job.total  # exclusive
    inferencer = SOTInferencer(model, temporal=temporal)
    name = safe_stem(video.name)
    writer = TrackOutputWriter(
        out_dir, name, video.fps,
        sheet_every=max(job.total // SHEET_FRAMES, 1))
    exporter = MaskExporter(
        osp.join(out_dir, f'{name}_masks.json'),
        osp.join(out_dir, f'{name}_masks.zip'), video.width, video.height,
        video.name)
    corrections = {
        frame: {k: xywh_to_xyxy(b)
                for k, b in boxes.items()}
        for frame, boxes in job.corrections.items()
    }
    every = max(job.total // max_snapshots, 1)
    job.snapshots = {}
    done = 0

    def emit(index: int, frame: np.ndarray, result) -> None:
        nonlocal done
        writer.write(index, frame, result)
        bboxes, scores, masks = _arrays(result)
        if masks is not None:
            exporter.add(index, bboxes, scores, masks)
        done += 1
        progress(index, done, scores)

    def step(index: int, frame: np.ndarray, result) -> None:
        if index in corrections:
            result = inferencer.correct(corrections[index])
        if (index - start) % every == 0:
            job.snapshots[index] = inferencer.get_state()
        emit(index, frame, result)

    try:
        if job.resume is None:
            reader = FrameReader(video.path, max_frames=job.total,
                                 start_frame=start)
            init_boxes = [xywh_to_xyxy(b) for b in job.boxes_xywh]
            for tracked in iter_tracks(inferencer, reader, init_boxes):
                step(tracked.index, tracked.frame, tracked.result)
        else:
            base, resume = job.resume
            old = read_masks(base.outputs['masks_json'],
                             range(start, resume + 1))
            prefix = FrameReader(video.path, max_frames=resume - start + 1,
                                 start_frame=start)
            for index, frame in prefix.indexed():
                emit(index, frame, _sample(*old[index]))
                if index in base.snapshots:
                    job.snapshots[index] = base.snapshots[index]
            inferencer.set_state(base.snapshots[resume])
            if resume + 1 < end:
                rest = FrameReader(video.path, max_frames=end - resume - 1,
                                   start_frame=resume + 1)
                for index, frame in rest.indexed():
                    step(index, frame, inferencer.track(frame))
    finally:
        outputs = writer.close()
        paths = exporter.close()
        if paths:
            outputs.update(masks_json=paths[0], masks_zip=paths[1])
        job.outputs = outputs


def run_preview(job, model, temporal: bool, out_dir: str,
                progress: Progress, tile_height: int = 200) -> None:
    """Track ``job.total`` frames into one picture, ``preview.jpg``.

    The first tile is the start frame with the mask the model finds for
    each drawn box there (one track step on the start frame itself, by a
    separate tracker); the others are the next frames as the real run
    tracks them.
    """
    import cv2

    from mmtao.apis import SOTInferencer
    from mmtao.apis.video_tracking import iter_tracks
    from mmtao.utils.video_io import FrameReader
    from mmtao.visualization import draw_tracks

    reader = FrameReader(
        job.video.path, max_frames=job.total, start_frame=job.start_frame)
    frames = list(reader.indexed())
    init_boxes = [xywh_to_xyxy(b) for b in job.boxes_xywh]
    first = SOTInferencer(model, temporal=temporal)
    first.init(frames[0][1], init_boxes)
    tiles = []

    def tile(index: int, frame: np.ndarray, result, caption: str) -> None:
        bboxes, scores, masks = _arrays(result)
        drawn = draw_tracks(frame, bboxes, scores, masks)
        scale = tile_height / drawn.shape[0]
        drawn = cv2.resize(drawn, (max(int(drawn.shape[1] * scale), 1),
                                   tile_height),
                           interpolation=cv2.INTER_AREA)
        cv2.putText(drawn, caption, (4, tile_height - 6),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1,
                    cv2.LINE_AA)
        tiles.append(drawn)

    t0 = time.perf_counter()
    tile(frames[0][0], frames[0][1], first.track(frames[0][1]),
         f'frame {frames[0][0]}: masks of your boxes')
    progress(frames[0][0], 1, np.ones(len(init_boxes)))
    inferencer = SOTInferencer(model, temporal=temporal)
    for i, step in enumerate(
            iter_tracks(inferencer, [f for _, f in frames], init_boxes)):
        if i == 0:
            continue
        index = frames[i][0]
        tile(index, step.frame, step.result, f'frame {index}')
        progress(index, i + 1, _arrays(step.result)[1])
    job.seconds = time.perf_counter() - t0
    path = osp.join(out_dir, 'preview.jpg')
    cv2.imwrite(path, np.concatenate(tiles, axis=1),
                [cv2.IMWRITE_JPEG_QUALITY, 90])
    job.outputs = dict(preview=path)
