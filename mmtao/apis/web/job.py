# Copyright (c) mmtao contributors. All rights reserved.
"""A tracking job of the browser demo, what the page is told about it, and
the errors the web layer maps to HTTP answers."""
import threading
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from .videos import InputError, VideoInfo

ACTIVE = ('queued', 'loading', 'running')


class JobCancelled(RuntimeError):
    """The job was cancelled (from the page, or the server is stopping)."""


class BusyError(RuntimeError):
    """A tracking job is already running (one at a time on a CPU)."""


class ConfirmError(InputError):
    """A long job: the page shows the estimate and asks to confirm."""


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
class Job:
    """One tracking run (or preview) and what the page is told about it."""
    job_id: str
    kind: str  # track | preview
    video: VideoInfo
    model: ModelChoice
    start_frame: int
    boxes_xywh: List[List[float]]
    total: int
    corrections: Dict[int, Dict[int, List[float]]] = field(
        default_factory=dict)
    state: str = 'queued'  # queued|loading|running|done|cancelled|error
    done: int = 0
    last_frame: int = -1
    fps: float = 0.0
    message: str = ''
    outputs: Dict[str, str] = field(default_factory=dict)
    files: Dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    cancel: threading.Event = field(default_factory=threading.Event)
    # (earlier job, frame): copy its result up to the frame, continue from
    # its tracker state there; snapshots: frame -> SOTInferencer.get_state()
    resume: Optional[tuple] = None
    snapshots: Dict[int, dict] = field(default_factory=dict)

    def snapshot(self) -> dict:
        eta = None
        if self.state == 'running' and self.fps > 0:
            eta = round((self.total - self.done) / self.fps, 1)
        return dict(
            job_id=self.job_id,
            kind=self.kind,
            state=self.state,
            done=self.done,
            total=self.total,
            last_frame=self.last_frame,
            fps=round(self.fps, 2),
            eta_seconds=eta,
            message=self.message,
            files=dict(self.files),
            seconds=round(self.seconds, 2),
            video_id=self.video.video_id,
            video_name=self.video.name,
            model=self.model.name,
            start_frame=self.start_frame,
            boxes=self.boxes_xywh,
            corrections=[
                dict(frame=f, boxes={str(k): b
                                     for k, b in boxes.items()})
                for f, boxes in sorted(self.corrections.items())
            ],
            resumed_from=None if self.resume is None else self.resume[1],
            cancelling=self.cancel.is_set() and self.state in ACTIVE)


def minutes(seconds: float) -> str:
    """``42 s`` or ``7 min``."""
    if seconds < 90:
        return f'{seconds:.0f} s'
    return f'{seconds / 60:.0f} min'
