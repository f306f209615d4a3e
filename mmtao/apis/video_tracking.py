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
- :class:`TrackOutputWriter` writes as it goes: the drawn mp4 (encoded in a
  background thread), ``NAME_track.txt`` with one ``frame,object,x,y,w,h,
  score`` line per object and frame (flushed every frame) and a contact
  sheet PNG of up to six frames. After any stop (bad frame, exception,
  Ctrl-C) ``close()`` leaves every file valid up to the last tracked frame.

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
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import (Callable, Dict, Iterator, List, NamedTuple, Optional,
                    Sequence, Union)

import numpy as np
from mmdet.structures import DetDataSample

from mmtao.utils.video_io import (FrameError, FrameReader, Mp4Writer,
                                  ensure_writable_dir)
from mmtao.visualization import draw_tracks
from .inference import SOTInferencer

#: ``progress(frames_done, total_frames, fps)``: called after every frame;
#: ``fps`` is the end-to-end rate so far (0.0 until a frame was tracked).
ProgressCallback = Callable[[int, int, float], None]

TRACK_HEADER = 'frame,object,x,y,w,h,score'
SHEET_FRAMES = 6


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


class _Prefetch:
    """Iterate ``iterable`` in a daemon thread, ``size`` items ahead.

    An exception raised by the iterable is re-raised by ``__next__`` at the
    position where it happened.
    """
    _END = object()

    def __init__(self, iterable, size: int = 4) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=size)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(iterable, ), daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                pass
        return False

    def _run(self, iterable) -> None:
        try:
            for item in iterable:
                if not self._put((True, item)):
                    return
        except BaseException as e:  # handed to the consumer
            self._put((False, e))
            return
        self._put((True, self._END))

    def __iter__(self):
        return self

    def __next__(self):
        ok, item = self._queue.get()
        if not ok:
            raise item
        if item is self._END:
            raise StopIteration
        return item

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def iter_tracks(inferencer: SOTInferencer,
                frames: Union[FrameReader, Sequence[np.ndarray]],
                bboxes: Union[Sequence[Sequence[float]], np.ndarray],
                prefetch: int = 4) -> Iterator[TrackedFrame]:
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

    Yields:
        TrackedFrame: index, frame, result and model time of every frame.

    Raises:
        FrameError: A frame cannot be decoded or has another size; the
            frames before it have been yielded.
    """
    source = frames.indexed() if isinstance(frames, FrameReader) \
        else enumerate(frames)
    stream = _Prefetch(source, prefetch)
    try:
        for i, (index, frame) in enumerate(stream):
            t0 = time.perf_counter()
            result = inferencer.init(frame, bboxes) if i == 0 \
                else inferencer.track(frame)
            yield TrackedFrame(index, frame, result,
                               time.perf_counter() - t0)
    finally:
        stream.close()


class TrackOutputWriter:
    """Write the tracked video, the track text and a contact sheet as
    frames arrive, so that a run stopped at any frame leaves valid files.

    Files, in ``out_dir``: ``NAME_tracked.mp4`` (H.264, drawn frames),
    ``NAME_track.txt`` (``frame,object,x,y,w,h,score`` with the source frame
    index; flushed after every frame) and ``NAME_tracked.png`` (up to six
    drawn frames side by side, one every ``sheet_every`` frames, rewritten
    when a frame joins it). Drawing and encoding run in a background thread.

    Args:
        out_dir (str): Output folder, created if needed.
        name (str): File name stem.
        fps (float): Frame rate of the mp4. Defaults to 25.
        sheet_every (int): Take every n-th written frame into the contact
            sheet. Defaults to 1.

    Raises:
        PermissionError: ``permission denied: OUT_DIR``.
    """

    def __init__(self,
                 out_dir: str,
                 name: str,
                 fps: float = 25.0,
                 sheet_every: int = 1) -> None:
        ensure_writable_dir(out_dir)
        self.paths = dict(
            video=osp.join(out_dir, f'{name}_tracked.mp4'),
            track=osp.join(out_dir, f'{name}_track.txt'),
            sheet=osp.join(out_dir, f'{name}_tracked.png'))
        self.sheet_every = max(int(sheet_every), 1)
        self._fps = fps
        self._txt = open(self.paths['track'], 'w')
        self._txt.write(TRACK_HEADER + '\n')
        self._txt.flush()
        self._mp4: Optional[Mp4Writer] = None
        self._sheet: List[np.ndarray] = []
        self._count = 0
        self._rows = 0
        self._error: Optional[BaseException] = None
        self._queue: queue.Queue = queue.Queue(maxsize=8)
        self._thread = threading.Thread(target=self._encode, daemon=True)
        self._thread.start()

    def write(self, index: int, frame: np.ndarray,
              result: DetDataSample) -> None:
        """Add one frame: its track lines now, the drawn frame soon.

        Args:
            index (int): Source frame index (first column of the txt).
            frame (np.ndarray): BGR frame (H, W, 3) uint8.
            result (DetDataSample): Output of ``init``/``track``.
        """
        self._raise_encoder_error()
        pred = result.pred_track_instances
        bboxes = pred.bboxes.cpu().numpy()
        scores = pred.scores.cpu().numpy()
        masks = pred.masks.cpu().numpy() if 'masks' in pred else None
        self._txt.write(''.join(
            f'{index},{k},{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f},'
            f'{float(s):.4f}\n'
            for k, ((x1, y1, x2, y2), s) in enumerate(
                zip(bboxes.tolist(), scores))))
        self._txt.flush()
        self._rows += 1
        self._put((frame, bboxes, scores, masks))

    def _put(self, item) -> None:
        while True:
            try:
                self._queue.put(item, timeout=0.5)
                return
            except queue.Full:
                self._raise_encoder_error()

    def _raise_encoder_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _encode(self) -> None:
        import cv2
        while True:
            item = self._queue.get()
            if item is None or self._error is not None:
                if item is None:
                    return
                continue
            try:
                frame, bboxes, scores, masks = item
                drawn = draw_tracks(frame, bboxes, scores, masks)
                if self._mp4 is None:
                    self._mp4 = Mp4Writer(self.paths['video'], fps=self._fps)
                self._mp4.write(drawn)
                if self._count % self.sheet_every == 0 \
                        and len(self._sheet) < SHEET_FRAMES:
                    self._sheet.append(drawn)
                    cv2.imwrite(self.paths['sheet'],
                                np.concatenate(self._sheet, axis=1))
                self._count += 1
            except BaseException as e:  # re-raised in the caller's thread
                self._error = e

    def close(self) -> Dict[str, str]:
        """Finish all files (waits for the encoder).

        Returns:
            dict: ``{'video'|'track'|'sheet': path}`` of the files holding
            at least one frame.
        """
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self._mp4 is not None:
            self._mp4.close()
            self._mp4 = None
        if not self._txt.closed:
            self._txt.close()
        if self._rows == 0 and osp.isfile(self.paths['track']):
            os.remove(self.paths['track'])  # header only: no frame tracked
        self._raise_encoder_error()
        return {k: p for k, p in self.paths.items() if osp.isfile(p)}

    def __enter__(self) -> 'TrackOutputWriter':
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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
        FileNotFoundError, ValueError, PermissionError: bad ``source``,
            ``start_frame``/``max_frames`` or unwritable ``out_dir``.
    """
    reader = source if isinstance(source, FrameReader) else FrameReader(
        source, max_frames=max_frames, start_frame=start_frame)
    if name is None:
        name = osp.splitext(osp.basename(osp.normpath(reader.source)))[0]
    total = len(reader) if progress is not None or out_dir else 0
    writer = None
    if out_dir is not None:
        writer = TrackOutputWriter(
            out_dir, name, reader.fps,
            sheet_every=max(total // SHEET_FRAMES, 1))
    summary = VideoTrackSummary()
    rows_boxes, rows_scores = [], []
    model_time, t_first = 0.0, None
    error: Optional[BaseException] = None
    try:
        for step in iter_tracks(inferencer, reader, bboxes):
            pred = step.result.pred_track_instances
            summary.frame_indices.append(step.index)
            rows_boxes.append(pred.bboxes.cpu().numpy())
            rows_scores.append(pred.scores.cpu().numpy())
            if writer is not None:
                writer.write(step.index, step.frame, step.result)
            if t_first is None:
                t_first = time.perf_counter()
            else:
                model_time += step.seconds
            if progress is not None:
                n = len(summary.frame_indices) - 1
                elapsed = time.perf_counter() - t_first
                progress(n + 1, total, n / elapsed if n else 0.0)
    except FrameError as e:
        error = e
    finally:
        if writer is not None:
            summary.outputs = writer.close()
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
