# Copyright (c) mmtao contributors. All rights reserved.
"""Videos, input checks and tracking jobs behind the browser demo.

Framework-free, so that the checks can be tested without a server: the web
layer (:mod:`.app`) turns :class:`InputError` into an HTTP 400 with its
message and :class:`BusyError` into a 409.
"""
import math
import os
import os.path as osp
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence
from urllib.parse import quote

import numpy as np


class InputError(ValueError):
    """Bad input from the page; the message is shown to the user."""


class JobCancelled(RuntimeError):
    """The server stopped while a job was running."""


class BusyError(RuntimeError):
    """A tracking job is already running (one at a time on a CPU)."""


@dataclass(frozen=True)
class ModelChoice:
    """A config + checkpoint pair the page offers.

    Args:
        name (str): Label on the page (and its key in requests).
        config (str): Config file.
        checkpoint (str, optional): Checkpoint file; None = random weights.
    """
    name: str
    config: str
    checkpoint: Optional[str]


@dataclass
class VideoInfo:
    """A video the page can track in (the embedded clip or an upload)."""
    video_id: str
    path: str
    name: str
    num_frames: int
    width: int
    height: int
    fps: float

    def to_dict(self) -> dict:
        return dict(
            video_id=self.video_id,
            name=self.name,
            num_frames=self.num_frames,
            width=self.width,
            height=self.height,
            fps=self.fps)


@dataclass
class Job:
    """One tracking run and what the page is told about it."""
    job_id: str
    video: VideoInfo
    model: ModelChoice
    start_frame: int
    boxes_xywh: List[List[float]]
    total: int
    state: str = 'queued'  # queued | loading | running | done | error
    done: int = 0
    fps: float = 0.0
    message: str = ''
    files: Dict[str, str] = field(default_factory=dict)
    submitted: float = field(default_factory=time.time)
    seconds: float = 0.0

    def snapshot(self) -> dict:
        return dict(
            job_id=self.job_id,
            state=self.state,
            done=self.done,
            total=self.total,
            fps=round(self.fps, 2),
            message=self.message,
            files=dict(self.files),
            seconds=round(self.seconds, 2))


def safe_stem(filename: str) -> str:
    """File name stem of ``filename`` with only ``[A-Za-z0-9._-]`` kept."""
    stem = osp.splitext(osp.basename(filename))[0]
    stem = re.sub(r'[^A-Za-z0-9._-]+', '_', stem).strip('._')
    return stem or 'video'


def read_frame(path: str, index: int) -> np.ndarray:
    """Frame ``index`` of the video at ``path`` as BGR uint8 (H, W, 3)."""
    import imageio.v3 as iio
    try:
        frame = iio.imread(path, index=index)
    except (IndexError, StopIteration):
        raise InputError(f'frame {index} is past the end of the video')
    if frame.ndim == 2:
        frame = np.repeat(frame[..., None], 3, axis=2)
    return np.ascontiguousarray(frame[..., :3][..., ::-1])


def probe_video(path: str, name: str, video_id: str) -> VideoInfo:
    """Check that ``path`` is a video of at least two frames.

    Raises:
        InputError: naming the file and what is wrong with it.
    """
    from mmtao.utils.video_io import FrameReader
    try:
        reader = FrameReader(path)
        num_frames = len(reader)
        first = read_frame(path, 0)
    except Exception as e:  # imageio / ffmpeg raise many kinds
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise InputError(f'{name!r} is not a video that ffmpeg can read '
                         f'({reason})') from e
    if num_frames < 2:
        raise InputError(f'{name!r} has {num_frames} frame(s); a video to '
                         'track in needs at least 2')
    h, w = first.shape[:2]
    return VideoInfo(video_id, path, name, int(num_frames), w, h,
                     float(reader.fps))


def check_boxes(boxes: Sequence, width: int, height: int,
                max_objects: int) -> List[List[float]]:
    """Validate boxes ``[x, y, w, h]`` drawn on a ``width`` x ``height``
    frame.

    Returns:
        list: The boxes as floats.

    Raises:
        InputError: no box, too many, an empty box or one outside the frame.
    """
    if not boxes:
        raise InputError('no box: drag a box around the object on the frame')
    if len(boxes) > max_objects:
        raise InputError(f'{len(boxes)} boxes: at most {max_objects} '
                         'objects at a time')
    out = []
    for k, box in enumerate(boxes, 1):
        try:
            x, y, w, h = (float(v) for v in box)
        except (TypeError, ValueError):
            raise InputError(f'box {k}: expected four numbers x,y,w,h, '
                             f'got {box!r}')
        if not all(math.isfinite(v) for v in (x, y, w, h)):
            raise InputError(f'box {k}: {box!r} is not finite')
        if w < 2 or h < 2:
            raise InputError(f'box {k} is empty ({w:g}x{h:g} px): drag a '
                             'box around the object')
        # half a pixel of slack for rounding in the page
        if x < -0.5 or y < -0.5 or x + w > width + 0.5 \
                or y + h > height + 0.5:
            raise InputError(f'box {k} (x={x:g}, y={y:g}, w={w:g}, h={h:g})'
                             f' is outside the {width}x{height} frame')
        out.append([x, y, w, h])
    return out


class TrackingService:
    """Videos the page knows, and tracking jobs run one at a time.

    Args:
        models (Sequence[ModelChoice]): Trackers to offer; the first is the
            default.
        out_dir (str): The server's folder: uploads go to
            ``out_dir/uploads``, results to ``out_dir/jobs/<job_id>`` (the
            only folder the server serves files from).
        default_video (str, optional): The embedded clip offered by name.
        max_frames (int, optional): Track at most this many frames.
        max_objects (int): Most boxes in one job. Defaults to 8.
        temporal (bool): Use the config's temporal smoother (as the CLI
            demo unless ``--no-temporal``). Defaults to True.
        device (str): Torch device. Defaults to 'cpu'.
    """

    def __init__(self,
                 models: Sequence[ModelChoice],
                 out_dir: str,
                 default_video: Optional[str] = None,
                 max_frames: Optional[int] = None,
                 max_objects: int = 8,
                 temporal: bool = True,
                 device: str = 'cpu') -> None:
        if not models:
            raise ValueError('TrackingService needs at least one model')
        self.models = {m.name: m for m in models}
        self.default_model = models[0].name
        self.out_dir = osp.abspath(out_dir)
        self.upload_dir = osp.join(self.out_dir, 'uploads')
        self.jobs_dir = osp.join(self.out_dir, 'jobs')
        os.makedirs(self.upload_dir, exist_ok=True)
        os.makedirs(self.jobs_dir, exist_ok=True)
        self.default_video = default_video
        self.max_frames = max_frames
        self.max_objects = max_objects
        self.temporal = temporal
        self.device = device
        self._stopping = threading.Event()
        self.videos: Dict[str, VideoInfo] = {}
        self.jobs: Dict[str, Job] = {}
        self._lock = threading.Lock()
        self._busy = False
        self._loaded: Dict[str, object] = {}
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix='mmtao-track')

    # videos -----------------------------------------------------------
    def default_video_info(self) -> VideoInfo:
        """The embedded clip, probed on first use."""
        if self.default_video is None:
            raise InputError('this server has no embedded clip: upload a '
                             'video')
        if 'default' not in self.videos:
            self.videos['default'] = probe_video(
                self.default_video, osp.basename(self.default_video),
                'default')
        return self.videos['default']

    def new_upload_path(self, filename: str) -> str:
        """A fresh path under ``upload_dir`` keeping only the extension of
        the user's file name."""
        ext = osp.splitext(osp.basename(filename or ''))[1].lower()
        ext = ext if ext[1:].isalnum() and len(ext) <= 6 else ''
        return osp.join(self.upload_dir, uuid.uuid4().hex + ext)

    def add_upload(self, path: str, filename: str) -> VideoInfo:
        """Register an uploaded file; deletes it when it is not a video."""
        video_id = osp.splitext(osp.basename(path))[0]
        try:
            info = probe_video(path, osp.basename(filename or 'upload'),
                               video_id)
        except InputError:
            os.remove(path)
            raise
        self.videos[video_id] = info
        return info

    def get_video(self, video_id: str) -> VideoInfo:
        if video_id == 'default':
            return self.default_video_info()
        if video_id not in self.videos:
            raise InputError(f'unknown video {video_id!r}: choose the '
                             'embedded clip or upload a video')
        return self.videos[video_id]

    def frame(self, video_id: str, index: int) -> np.ndarray:
        video = self.get_video(video_id)
        if not 0 <= index < video.num_frames:
            raise InputError(f'frame {index} is outside 0..'
                             f'{video.num_frames - 1}')
        return read_frame(video.path, index)

    # jobs -------------------------------------------------------------
    def submit(self, video_id: str, start_frame: int, boxes: Sequence,
               model: Optional[str] = None) -> Job:
        """Check a request and queue its job.

        Raises:
            InputError: unknown video/model, start frame or boxes wrong.
            BusyError: another job is running.
        """
        video = self.get_video(video_id)
        model_name = model or self.default_model
        if model_name not in self.models:
            raise InputError(f'unknown model {model_name!r}; choose one of '
                             f'{", ".join(self.models)}')
        if not 0 <= start_frame < video.num_frames - 1:
            raise InputError(f'start frame {start_frame} is outside 0..'
                             f'{video.num_frames - 2} (tracking needs a '
                             'frame after it)')
        boxes_xywh = check_boxes(boxes, video.width, video.height,
                                 self.max_objects)
        total = video.num_frames - start_frame
        if self.max_frames is not None:
            total = min(total, self.max_frames)
        with self._lock:
            if self._busy:
                raise BusyError('a tracking job is running; wait for it to '
                                'finish')
            self._busy = True
        job = Job(uuid.uuid4().hex, video, self.models[model_name],
                  start_frame, boxes_xywh, total)
        self.jobs[job.job_id] = job
        self._executor.submit(self._run, job)
        return job

    def colors(self) -> List[List[int]]:
        """RGB colour of object k, as the result video draws it."""
        from mmtao.visualization import track_colors
        return [list(bgr[::-1]) for bgr in track_colors(self.max_objects)]

    def get_job(self, job_id: str) -> Job:
        if job_id not in self.jobs:
            raise InputError(f'unknown job {job_id!r}')
        return self.jobs[job_id]

    def _model(self, choice: ModelChoice):
        if choice.name not in self._loaded:
            from mmtao.apis import init_tracker
            self._loaded[choice.name] = init_tracker(
                choice.config, choice.checkpoint, device=self.device)
        return self._loaded[choice.name]

    def _run(self, job: Job) -> None:
        t0 = time.perf_counter()
        state, message = 'error', ''
        try:
            job.state = 'loading'
            model = self._model(job.model)
            job.state = 'running'
            self._track(job, model)
            state = 'done'
        except Exception as e:  # reported on the page; the server goes on
            first = str(e).splitlines()[0] if str(e) else ''
            message = f'{type(e).__name__}: {first}'
        finally:
            job.seconds = time.perf_counter() - t0
            # free the worker before the page hears "done", so that its
            # next Track is not refused as busy
            with self._lock:
                self._busy = False
            job.message, job.state = message, state

    def _track(self, job: Job, model) -> None:
        """Track ``job``'s boxes with the CLI demo's loop (``track_video``):
        the mp4, the track text and the contact sheet, written as it goes.
        """
        from mmtao.apis import SOTInferencer, track_video
        from mmtao.utils.video_io import FrameError

        def progress(done: int, total: int, fps: float) -> None:
            job.done, job.total, job.fps = done, total, fps
            if self._stopping.is_set():  # server stopping: end the run here
                raise JobCancelled('the server is stopping')

        init_boxes = [[x, y, x + w, y + h] for x, y, w, h in job.boxes_xywh]
        try:
            summary = track_video(
                SOTInferencer(model, temporal=self.temporal),
                job.video.path,
                init_boxes,
                out_dir=osp.join(self.jobs_dir, job.job_id),
                name=safe_stem(job.video.name),
                start_frame=job.start_frame,
                max_frames=job.total,
                progress=progress)
        except FrameError as e:
            # the files hold every frame before the bad one: show them too
            self._publish(job, e.summary.outputs)
            raise
        self._publish(job, summary.outputs)

    @staticmethod
    def _publish(job: Job, outputs: Dict[str, str]) -> None:
        job.files = {
            key: f'/files/{job.job_id}/{quote(osp.basename(path))}'
            for key, path in outputs.items()
        }

    def shutdown(self) -> None:
        """Stop a running job at its next frame (its files stay valid up
        to there) and wait for it."""
        self._stopping.set()
        self._executor.shutdown(wait=True, cancel_futures=True)
