# Copyright (c) mmtao contributors. All rights reserved.
"""Tracking jobs behind the browser demo, one at a time, cancellable.

Framework-free, so the checks can be tested without a server: the web layer
(:mod:`.app`) turns :class:`InputError` into an HTTP 400 with its message
(:class:`NotFoundError` a 404, :class:`ConfirmError` a 400 the page asks to
confirm) and :class:`BusyError` into a 409.
"""
import json
import os
import os.path as osp
import re
import threading
import time
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Sequence
from urllib.parse import quote

import numpy as np

from . import storage
from .job import (BusyError, ConfirmError, Job, JobCancelled, ModelChoice,
                  minutes)
from .runner import run_preview, run_track
from .videos import (InputError, NotFoundError, VideoInfo, check_box,
                     check_boxes, probe_video, public_message, read_frame,
                     sniff_extension)

__all__ = [
    'BusyError', 'ConfirmError', 'InputError', 'Job', 'JobCancelled',
    'ModelChoice', 'NotFoundError', 'TrackingService'
]
_ID = re.compile(r'^[0-9a-f]{32}$')
#: a guess of the end-to-end speed before any job ran (frames/s)
GUESSED_FPS = 5.0


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
        max_pixels (int, optional): Largest frame (width x height) of an
            upload. Defaults to 3840x2160.
        long_frames (int): Jobs of more frames must be confirmed (the page
            shows the estimated time first). Defaults to 1500.
        preview_frames (int): Frames of a preview. Defaults to 6.
        keep_hours (float, optional): Delete uploads and results not used
            for longer. Defaults to 24.
        keep_mb (float, optional): Keep uploads + results under this total,
            oldest deleted first. Defaults to 2048.
    """

    def __init__(self,
                 models: Sequence[ModelChoice],
                 out_dir: str,
                 default_video: Optional[str] = None,
                 max_frames: Optional[int] = None,
                 max_objects: int = 8,
                 temporal: bool = True,
                 device: str = 'cpu',
                 max_pixels: Optional[int] = 3840 * 2160,
                 long_frames: int = 1500,
                 preview_frames: int = 6,
                 keep_hours: Optional[float] = 24,
                 keep_mb: Optional[float] = 2048) -> None:
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
        self.max_pixels = max_pixels
        self.long_frames = long_frames
        self.preview_frames = preview_frames
        self.keep_seconds = None if keep_hours is None else keep_hours * 3600
        self.keep_bytes = None if keep_mb is None else int(keep_mb * 2**20)
        self._stopping = threading.Event()
        self.videos: Dict[str, VideoInfo] = {}
        self.jobs: 'OrderedDict[str, Job]' = OrderedDict()
        self.current: Optional[Job] = None
        self.fps_seen: Optional[float] = None
        self._lock = threading.Lock()
        self._loaded: Dict[str, object] = {}
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix='mmtao-track')
        for f in os.listdir(self.upload_dir):  # uploads cut by a crash
            if f.endswith('.part'):
                os.remove(osp.join(self.upload_dir, f))
        self.cleanup()

    # disk -------------------------------------------------------------
    def cleanup(self) -> List[str]:
        """Delete uploads and results past the age / size bounds (not the
        running job's)."""
        keep = set()
        job = self.current
        if job is not None:
            keep |= {f'jobs/{job.job_id}', f'uploads/{job.video.video_id}'}
        deleted = storage.cleanup(self.out_dir, self.keep_seconds,
                                  self.keep_bytes, keep)
        for key in deleted:
            kind, ident = key.split('/', 1)
            if kind == 'uploads':
                self.videos.pop(ident, None)
        return deleted

    # videos -----------------------------------------------------------
    def default_video_info(self) -> VideoInfo:
        """The embedded clip, probed on first use."""
        if self.default_video is None:
            raise NotFoundError('this server has no embedded clip: upload a '
                                'video')
        if 'default' not in self.videos:
            self.videos['default'] = probe_video(
                self.default_video, osp.basename(self.default_video),
                'default')
        return self.videos['default']

    def new_upload_path(self) -> str:
        """A fresh path under ``upload_dir`` to stream an upload into."""
        return osp.join(self.upload_dir, uuid.uuid4().hex + '.part')

    def add_upload(self, part_path: str, filename: str) -> VideoInfo:
        """Register an uploaded file (stored by its sniffed container);
        deletes it when it is not a video."""
        name = osp.basename((filename or 'upload').replace('\\', '/'))
        name = name[:120] or 'upload'
        with open(part_path, 'rb') as f:
            head = f.read(16)
        video_id = osp.basename(part_path).split('.', 1)[0]
        path = osp.join(self.upload_dir,
                        video_id + sniff_extension(head, name))
        os.replace(part_path, path)
        try:
            info = probe_video(path, name, video_id, self.max_pixels)
        except InputError:
            os.remove(path)
            raise
        with open(osp.join(self.upload_dir, video_id + '.json'), 'w') as f:
            json.dump(dict(name=name), f)
        self.videos[video_id] = info
        self.cleanup()
        return info

    def get_video(self, video_id: str) -> VideoInfo:
        """A known video; an upload of an earlier run is probed again."""
        if video_id == 'default':
            return self.default_video_info()
        if video_id not in self.videos and _ID.match(video_id):
            for f in os.listdir(self.upload_dir):
                stem, ext = osp.splitext(f)
                if stem == video_id and ext not in ('.json', '.part'):
                    self.videos[video_id] = self._reprobe(
                        osp.join(self.upload_dir, f), video_id)
                    break
        if video_id not in self.videos:
            raise NotFoundError(f'unknown video {video_id[:40]!r}: choose '
                                'the embedded clip or upload a video')
        return self.videos[video_id]

    def _reprobe(self, path: str, video_id: str) -> VideoInfo:
        try:
            with open(osp.join(self.upload_dir, video_id + '.json')) as f:
                name = str(json.load(f)['name'])
        except (OSError, ValueError, KeyError):
            name = 'upload'
        return probe_video(path, name, video_id, self.max_pixels)

    def frame(self, video_id: str, index: int) -> np.ndarray:
        video = self.get_video(video_id)
        if not 0 <= index < video.num_frames:
            raise InputError(f'frame {index} is outside 0..'
                             f'{video.num_frames - 1}')
        return read_frame(video.path, index)

    # jobs -------------------------------------------------------------
    def estimate(self, frames: int) -> str:
        """How long ``frames`` take, from the last job's speed."""
        fps = self.fps_seen or GUESSED_FPS
        how = 'the last job' if self.fps_seen else 'a guess, no job ran yet'
        return f'about {minutes(frames / fps)} at {fps:.1f} FPS ({how})'

    def submit(self,
               video_id: str,
               start_frame: int,
               boxes: Sequence,
               model: Optional[str] = None,
               frames: Optional[int] = None,
               confirm_long: bool = False,
               corrections: Optional[Sequence[dict]] = None,
               kind: str = 'track',
               base_job: Optional[str] = None) -> Job:
        """Check a request and queue its job.

        Args:
            frames (int, optional): Track at most this many frames.
            confirm_long (bool): Accept a job of more than ``long_frames``.
            corrections (list[dict], optional): ``{frame, boxes: {object:
                [x, y, w, h]}}``: objects redrawn on later frames.
            kind (str): 'track' or 'preview' (the first few frames into
                one picture).
            base_job (str, optional): The job being corrected: when it ran
                the same request up to the first new correction, its
                result is copied up to its last kept tracker state before
                that frame and tracking continues from there.

        Raises:
            InputError: unknown video/model, start frame, boxes or
                corrections wrong; ConfirmError for an unconfirmed long job.
            BusyError: another job is running.
        """
        video = self.get_video(video_id)
        model_name = model or self.default_model
        if model_name not in self.models:
            raise InputError(f'unknown model {model_name[:40]!r}; choose '
                             f'one of {", ".join(self.models)}')
        if not 0 <= start_frame < video.num_frames - 1:
            raise InputError(f'start frame {start_frame} is outside 0..'
                             f'{video.num_frames - 2} (tracking needs a '
                             'frame after it)')
        boxes_xywh = check_boxes(boxes, video.width, video.height,
                                 self.max_objects)
        total = video.num_frames - start_frame
        for limit in (self.max_frames, frames):
            if limit is not None:
                if limit < 2:
                    raise InputError(f'frames {limit}: track at least 2')
                total = min(total, limit)
        if kind == 'preview':
            total = min(total, self.preview_frames)
        elif total > self.long_frames and not confirm_long:
            raise ConfirmError(
                f'{total} frames to track: {self.estimate(total)}. Press '
                'Track again to confirm, or set fewer frames')
        fixes = self._check_corrections(corrections or [], video,
                                        start_frame, total, len(boxes_xywh))
        with self._lock:
            if self.current is not None:
                cur = self.current
                left = ''
                if cur.fps > 0:
                    left = (', about '
                            f'{minutes((cur.total - cur.done) / cur.fps)}'
                            ' left')
                raise BusyError(
                    f'a tracking job is running ({cur.video.name}: '
                    f'{cur.done} / {cur.total} frames{left}); wait for it '
                    'or cancel it')
            job = Job(uuid.uuid4().hex, kind, video, self.models[model_name],
                      start_frame, boxes_xywh, total, fixes)
            if kind == 'track' and base_job is not None:
                job.resume = self._resume_point(job, base_job)
            self.current = job
        self.jobs[job.job_id] = job
        while len(self.jobs) > 100:
            self.jobs.popitem(last=False)
        self._executor.submit(self._run, job)
        return job

    def _resume_point(self, job: Job, base_id: str) -> Optional[tuple]:
        """``(base, frame)`` when ``job`` may continue from ``base``'s
        tracker state after ``frame``, else None (tracked from the start).
        """
        base = self.jobs.get(base_id)
        if base is None or base.kind != 'track' or not base.snapshots \
                or 'masks_json' not in base.outputs \
                or (base.video.video_id, base.model.name, base.start_frame,
                    base.boxes_xywh) != (job.video.video_id, job.model.name,
                                         job.start_frame, job.boxes_xywh):
            return None
        new = [f for f in set(job.corrections) | set(base.corrections)
               if job.corrections.get(f) != base.corrections.get(f)]
        if not new:
            return None
        first = min(new)
        kept = [f for f in base.snapshots
                if f < first and f < job.start_frame + job.total]
        return (base, max(kept)) if kept else None

    @staticmethod
    def _check_corrections(corrections: Sequence[dict], video: VideoInfo,
                           start: int, total: int,
                           num_objects: int) -> Dict[int, dict]:
        fixes: Dict[int, dict] = {}
        for fix in corrections:
            try:
                frame = int(fix['frame'])
                items = dict(fix['boxes']).items()
            except (KeyError, TypeError, ValueError):
                raise InputError('a correction needs {frame, boxes: '
                                 '{object: [x, y, w, h]}}')
            if not start < frame < start + total:
                raise InputError(f'correction on frame {frame}: outside the '
                                 f'tracked frames {start + 1}..'
                                 f'{start + total - 1}')
            boxes = {}
            for k, box in items:
                k = int(k) if str(k).isdigit() else -1
                if not 0 <= k < num_objects:
                    raise InputError(f'correction on frame {frame}: no '
                                     f'object {k} (0..{num_objects - 1})')
                boxes[k] = check_box(box, k, video.width, video.height)
            if boxes:
                fixes.setdefault(frame, {}).update(boxes)
        return fixes

    def cancel(self, job_id: str) -> Job:
        """Stop a job at its next frame; its files stay valid up to
        there."""
        job = self.get_job(job_id)
        job.cancel.set()
        return job

    def colors(self) -> List[List[int]]:
        """RGB colour of object k, as the result video draws it."""
        from mmtao.visualization import object_colors
        return [list(c) for c in object_colors(self.max_objects)]

    def get_job(self, job_id: str) -> Job:
        if job_id not in self.jobs:
            raise NotFoundError(f'unknown job {job_id[:40]!r}')
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
        out_dir = osp.join(self.jobs_dir, job.job_id)
        try:
            job.state = 'loading'
            model = self._model(job.model)
            job.state = 'running'
            os.makedirs(out_dir, exist_ok=True)
            run = run_preview if job.kind == 'preview' else run_track
            run(job, model, self.temporal, out_dir, self._progress(job))
            state = 'done'
        except JobCancelled as e:
            state = 'cancelled'
            message = (f'{e} at frame {job.last_frame}: the files hold '
                       f'frames {job.start_frame}..{job.last_frame}')
        except Exception as e:  # reported on the page; the server goes on
            message = public_message(f'{type(e).__name__}: {e}',
                                     {job.video.path: job.video.name})
        finally:
            job.seconds = time.perf_counter() - t0
            job.files = {
                key: f'/files/{job.job_id}/{quote(osp.basename(path))}'
                for key, path in job.outputs.items()
            }
            if job.kind == 'track' and job.fps > 0 and state == 'done':
                self.fps_seen = job.fps
            # free the worker before the page hears the end, so that its
            # next Track is not refused as busy
            with self._lock:
                self.current = None
            job.message, job.state = message, state
            # tracker states are kept for the last jobs only (memory)
            tracked = [j for j in self.jobs.values() if j.snapshots]
            for old in tracked[:-3]:
                old.snapshots = {}
            job.resume = None if job.resume is None else (None,
                                                          job.resume[1])
            self.cleanup()

    def _progress(self, job: Job):
        t_first = [None]

        def progress(index: int, done: int, scores) -> None:
            now = time.perf_counter()
            if t_first[0] is None:
                t_first[0] = now
            elif done > 1:
                job.fps = (done - 1) / max(now - t_first[0], 1e-9)
            job.done, job.last_frame = done, index
            if job.cancel.is_set():
                raise JobCancelled('cancelled')
            if self._stopping.is_set():
                raise JobCancelled('the server stopped')

        return progress

    def shutdown(self) -> None:
        """Stop a running job at its next frame (its files stay valid up
        to there) and wait for it."""
        self._stopping.set()
        self._executor.shutdown(wait=True, cancel_futures=True)
