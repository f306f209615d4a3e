# Copyright (c) mmtao contributors. All rights reserved.
"""Track objects through a whole video: frames in, files and boxes out.

The loop shared by the command-line demo (``tools/demo/demo_track.py``) and
the browser demo. Three pieces, usable alone or through
:func:`track_video`:

- :class:`~mmtao.utils.video_io.FrameReader` reads a video file or a folder
  of frames (``start_frame``, ``max_frames``); a frame that cannot be decoded
  or has another size than the first raises
  :class:`~mmtao.utils.video_io.FrameError` naming its index and file.
- :func:`iter_tracks` runs an :class:`SOTInferencer` over the frames
  (``init`` on the first, ``track`` on the rest), decoding the next frames in
  a background thread while the model runs.
- :class:`~mmtao.apis.track_output_writer.TrackOutputWriter` writes as it
  goes: the drawn mp4 (encoded in a background thread),
  ``NAME_track.txt`` with one ``frame,object,x,y,w,h,score`` line per
  object and frame (flushed every frame) and a contact sheet PNG of up to
  six frames. After any stop (bad frame, exception, Ctrl-C, full disk)
  ``close()`` leaves every file valid up to the last tracked frame.

Example::

    from mmtao.apis import SOTInferencer, init_tracker, track_video
    model = init_tracker('configs/tao/tao_mbv2-fpn_320_any-object.py',
                         'checkpoints/tao_mbv2-fpn_320_any-object_fp16.pth')
    summary = track_video(SOTInferencer(model), 'demo/synthetic_demo.mp4',
                          [[30, 40, 90, 120]], out_dir='outputs/demo',
                          progress=lambda done, total, fps: print(done, fps))
    print(summary.outputs, summary.model_fps, summary.fps)
"""
import os
import os.path as osp
import time
from dataclasses import dataclass, field
from typing import (Callable, Dict, Iterator, List, NamedTuple, Optional,
                    Sequence, Union)

import numpy as np
from mmdet.structures import DetDataSample

from mmtao.utils.allocator import TRIM_EVERY, release_free_memory
from mmtao.utils.video_io import FrameError, FrameReader, OutputError
from .inference import SOTInferencer
from .prefetch import Prefetcher
from .track_output_writer import SHEET_FRAMES, TrackOutputWriter

#: ``progress(frames_done, total_frames, fps)``: called after every frame;
#: ``fps`` is the end-to-end rate so far (0.0 until a frame was tracked).
ProgressCallback = Callable[[int, int, float], None]


class TrackedFrame(NamedTuple):
    """One step of :func:`iter_tracks`.

    Attributes:
        index (int): Frame index in the source.
        frame (np.ndarray): The BGR frame, (H, W, 3) uint8.
        result (DetDataSample): ``init``/``track`` output; its
            ``pred_track_instances`` hold ``bboxes`` (K, 4) xyxy, ``scores``
            (K, ) and, with a mask head, ``masks`` (K, H, W).
        seconds (float): Time spent in ``init``/``track`` (model only).
    """
    index: int
    frame: np.ndarray
    result: DetDataSample
    seconds: float


@dataclass
class VideoTrackSummary:
    """What :func:`track_video` did.

    Attributes:
        frame_indices (list[int]): Source index of every processed frame.
        bboxes (np.ndarray): (N, K, 4) xyxy boxes, one row per frame.
        scores (np.ndarray): (N, K) presence scores (1 on the first frame).
        model_fps (float, optional): Tracked frames per second of
            ``track()`` time alone; None when no frame after the first.
        fps (float, optional): End to end rate over the tracked frames
            (decode + track + draw + encode + write); None as above.
        outputs (dict): ``{'video'|'track'|'sheet': path}`` of the files
            that were written (missing keys: nothing written).
    """
    frame_indices: List[int] = field(default_factory=list)
    bboxes: np.ndarray = field(
        default_factory=lambda: np.zeros((0, 0, 4), np.float32))
    scores: np.ndarray = field(
        default_factory=lambda: np.zeros((0, 0), np.float32))
    model_fps: Optional[float] = None
    fps: Optional[float] = None
    outputs: Dict[str, str] = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        return len(self.frame_indices)

    @property
    def mean_score(self) -> Optional[float]:
        """Mean presence score over the tracked frames (None if none)."""
        tracked = self.scores[1:]
        return float(tracked.mean()) if tracked.size else None


def iter_tracks(inferencer: SOTInferencer,
                frames: Union[FrameReader, Sequence[np.ndarray]],
                bboxes: Union[Sequence[Sequence[float]], np.ndarray],
                prefetch: int = 4,
                trim_every: int = TRIM_EVERY) -> Iterator[TrackedFrame]:
    """Initialise on the first frame, track through the rest.

    Args:
        inferencer (SOTInferencer): The tracker API; its ``init`` and
            ``track`` do the work.
        frames (FrameReader | Sequence[np.ndarray]): BGR frames. A
            :class:`FrameReader` gives source indices (with its
            ``start_frame``); a plain sequence is indexed from 0.
        bboxes: (K, 4) xyxy boxes of the objects in the first frame.
        prefetch (int): Frames decoded ahead in a background thread.
            Defaults to 4.
        trim_every (int): Return the allocator's free pages to the system
            every this many frames (:func:`mmtao.utils.release_free_memory`;
            0 never). Without it glibc kept the freed frame buffers and RSS
            grew by ~0.7 MiB a frame at 768x576. Defaults to
            ``TRIM_EVERY`` (50).

    Yields:
        TrackedFrame: index, frame, result and model time of every frame.

    Raises:
        FrameError: A frame cannot be decoded or has another size; the
            frames before it have been yielded.
    """
    if isinstance(frames, (str, bytes)) or not hasattr(frames, '__iter__'):
        raise TypeError('frames must be a FrameReader or a sequence of BGR '
                        f'arrays, got {type(frames).__name__} (use '
                        'track_video for a path)')
    source = frames.indexed() if isinstance(frames, FrameReader) \
        else enumerate(frames)
    stream = Prefetcher(source, prefetch)
    try:
        for i, (index, frame) in enumerate(stream):
            if trim_every and i and i % trim_every == 0:
                release_free_memory()
            t0 = time.perf_counter()
            result = inferencer.init(frame, bboxes) if i == 0 \
                else inferencer.track(frame)
            yield TrackedFrame(index, frame, result,
                               time.perf_counter() - t0)
    finally:
        stream.close()


def track_video(inferencer: SOTInferencer,
                source: Union[str, FrameReader],
                bboxes: Union[Sequence[Sequence[float]], np.ndarray],
                out_dir: Optional[str] = None,
                name: Optional[str] = None,
                start_frame: int = 0,
                max_frames: Optional[int] = None,
                progress: Optional[ProgressCallback] = None
                ) -> VideoTrackSummary:
    """Track ``bboxes`` from ``start_frame`` through a video or folder.

    Args:
        inferencer (SOTInferencer): The tracker API (model + temporal
            setting).
        source (str | FrameReader): Video file, folder of frames, or an open
            reader (then ``start_frame``/``max_frames`` are the reader's).
        bboxes: (K, 4) xyxy boxes of the objects in frame ``start_frame``.
        out_dir (str, optional): Where to write the mp4, txt and PNG (see
            :class:`TrackOutputWriter`); None writes nothing.
        name (str, optional): File name stem; defaults to the source's name.
        start_frame (int): First frame (the one ``bboxes`` are drawn on).
        max_frames (int, optional): At most this many frames (>= 1).
        progress (callable, optional): ``progress(frames_done,
            total_frames, fps)`` after every frame.

    Returns:
        VideoTrackSummary: boxes, scores, speeds and the files written.

    Raises:
        FrameError: A frame cannot be decoded or has another size. The
            files hold every frame before it, and the exception's
            ``summary`` attribute holds the :class:`VideoTrackSummary` so
            far.
        OutputError: an output file could not be written (full disk);
            ``summary`` is attached as above, ``summary.outputs`` names the
            files kept.
        OutputInUseError: another run is writing the same files.
        FileNotFoundError, ValueError, PermissionError: bad ``source``,
            ``start_frame``/``max_frames`` or unwritable ``out_dir``.
        TypeError: ``source`` is neither a path nor a FrameReader.
    """
    if not isinstance(source, (str, FrameReader, os.PathLike)):
        raise TypeError('source must be a video path, a frame folder or a '
                        f'FrameReader, got {type(source).__name__} (use '
                        'iter_tracks for a list of frames)')
    if not isinstance(source, FrameReader):
        source = os.fspath(source)
    reader = source if isinstance(source, FrameReader) else FrameReader(
        source, max_frames=max_frames, start_frame=start_frame)
    if name is None:
        name = osp.splitext(osp.basename(osp.normpath(reader.source)))[0]
    total = len(reader) if progress is not None or out_dir else 0
    writer = None
    summary = VideoTrackSummary()
    if out_dir is not None:
        try:
            writer = TrackOutputWriter(
                out_dir, name, reader.fps,
                sheet_every=max(total // SHEET_FRAMES, 1))
        except OutputError as e:  # the disk is full before the first frame
            e.summary = summary
            raise
    rows_boxes, rows_scores = [], []
    model_time, t_first = 0.0, None
    error: Optional[BaseException] = None
    try:
        for step in iter_tracks(inferencer, reader, bboxes):
            pred = step.result.pred_track_instances
            if writer is not None:  # first: a failed write ends the summary
                writer.write(step.index, step.frame, step.result)
            summary.frame_indices.append(step.index)
            rows_boxes.append(pred.bboxes.cpu().numpy())
            rows_scores.append(pred.scores.cpu().numpy())
            if t_first is None:
                t_first = time.perf_counter()
            else:
                model_time += step.seconds
            if progress is not None:
                n = len(summary.frame_indices) - 1
                elapsed = time.perf_counter() - t_first
                progress(n + 1, total, n / elapsed if n else 0.0)
    except (FrameError, OutputError) as e:
        error = e
    finally:
        if writer is not None:
            try:
                writer.close()
            except OutputError as e:
                error = error or e
            summary.outputs = writer.outputs
    n_tracked = len(summary.frame_indices) - 1
    if n_tracked > 0:
        summary.model_fps = n_tracked / max(model_time, 1e-9)
        summary.fps = n_tracked / max(time.perf_counter() - t_first, 1e-9)
    if rows_boxes:
        summary.bboxes = np.stack(rows_boxes)
        summary.scores = np.stack(rows_scores)
    if error is not None:
        error.summary = summary
        raise error
    return summary
