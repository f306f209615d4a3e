# Copyright (c) mmtao contributors. All rights reserved.
"""FastAPI application of the browser demo.

Routes (all JSON errors are ``{"detail": "<one line for the page>"}``;
every POST must come from the page itself, see :mod:`.security`):

- ``GET /``: the page; ``/static/*`` its script, style and icon.
- ``GET /api/info``: models, limits, the embedded clip, the palette.
- ``POST /api/videos?filename=NAME``: upload a video as the raw request
  body (streamed to disk, refused past the size limit; stored by its
  sniffed container, so a name without extension is fine).
- ``GET /api/videos/{video_id}``, ``GET /api/videos/{video_id}/frames/{i}``:
  a video's size and frame count, one frame as JPEG (``default`` = the
  embedded clip).
- ``POST /api/track``: ``{video_id, start_frame, boxes: [[x,y,w,h],...],
  model, frames, confirm_long, corrections: [{frame, boxes: {k: box}}],
  base_job}`` starts a job (a correction of ``base_job`` continues from its
  kept tracker state); ``POST /api/preview`` (same body) tracks the first few
  frames into one picture; ``GET /api/jobs/current`` is the running job
  (a reloaded page re-attaches to it); ``GET /api/jobs/{id}/events``
  streams a job's progress as server-sent events, ``GET /api/jobs/{id}``
  polls it, ``POST /api/jobs/{id}/cancel`` stops it (its files stay valid).
- ``GET /files/{job_id}/{name}``: results, served by Starlette's
  ``StaticFiles`` from the jobs folder only (it refuses paths that resolve
  outside it, symlinks included).
"""
import asyncio
import json
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence

from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (FileResponse, JSONResponse, Response,
                               StreamingResponse)
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import ClientDisconnect

from .jobs import (BusyError, ConfirmError, InputError, NotFoundError,
                   TrackingService)
from .security import RequestGuard

STATIC_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'static')
LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]']
UPLOAD_PATH = '/api/videos'


class Correction(BaseModel):
    frame: int
    boxes: Dict[str, List[float]]


class TrackRequest(BaseModel):
    video_id: str = Field(max_length=64)
    start_frame: int = 0
    boxes: List[List[float]]
    model: Optional[str] = Field(default=None, max_length=200)
    frames: Optional[int] = None
    confirm_long: bool = False
    corrections: List[Correction] = []
    base_job: Optional[str] = Field(default=None, max_length=64)


def create_app(service: TrackingService,
               max_upload_bytes: int = 200 * 2**20,
               allowed_hosts: Optional[Sequence[str]] = None,
               max_body_bytes: int = 64 * 1024,
               on_refused: Optional[Callable[[str], None]] = None) -> FastAPI:
    """Build the demo's web application around a tracking service.

    Args:
        service (TrackingService): Videos, checks and jobs.
        max_upload_bytes (int): Largest accepted upload. Defaults to 200 MiB.
        allowed_hosts (Sequence[str], optional): Accepted ``Host`` headers;
            defaults to the loopback names, which also stops a web page
            from reaching the server through DNS rebinding.
        max_body_bytes (int): Largest body of any other request (JSON).
            Defaults to 64 KiB.
        on_refused (callable, optional): Told one line per refused
            cross-site request.

    Returns:
        FastAPI: The application (serve it with uvicorn).
    """
    app = FastAPI(title='mmtao browser demo', docs_url=None, redoc_url=None,
                  openapi_url=None)
    # added last = runs first: the Host check, then the guard
    app.add_middleware(
        RequestGuard, max_body_bytes=max_body_bytes,
        stream_paths=[UPLOAD_PATH], on_refused=on_refused)
    app.add_middleware(
        TrustedHostMiddleware,
        allowed_hosts=list(allowed_hosts or LOOPBACK_HOSTS))
    app.state.service = service
    app.mount('/static', StaticFiles(directory=STATIC_DIR), name='static')
    app.mount(
        '/files', StaticFiles(directory=service.jobs_dir), name='files')

    def _json(status: int, detail: str, **extra) -> JSONResponse:
        return JSONResponse(dict(detail=detail, **extra), status_code=status)

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError):
        if isinstance(exc, ConfirmError):
            return _json(400, str(exc), confirm=True)
        return _json(404 if isinstance(exc, NotFoundError) else 400,
                     str(exc))

    @app.exception_handler(BusyError)
    async def _busy_error(request: Request, exc: BusyError):
        return _json(409, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request,
                                exc: RequestValidationError):
        err = exc.errors()[0] if exc.errors() else {}
        if err.get('type') == 'json_invalid':
            return _json(422, 'the request body is not valid JSON')
        where = '.'.join(str(p) for p in err.get('loc', ())[1:]) or 'request'
        return _json(422, f'{where}: {err.get("msg", "invalid request")}')

    @app.get('/', include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(
            osp.join(STATIC_DIR, 'index.html'),
            headers={'Cache-Control': 'no-cache'})

    @app.get('/favicon.ico', include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(
            osp.join(STATIC_DIR, 'favicon.svg'), media_type='image/svg+xml')

    @app.get('/api/info')
    def info() -> dict:
        default = None
        if service.default_video is not None:
            default = service.default_video_info().to_dict()
        return dict(
            models=[
                dict(name=name, label=name + (' (default, recommended)'
                                              if name == service.default_model
                                              else ''))
                for name in service.models
            ],
            default_model=service.default_model,
            default_video=default,
            max_upload_bytes=max_upload_bytes,
            max_frames=service.max_frames,
            max_objects=service.max_objects,
            max_pixels=service.max_pixels,
            long_frames=service.long_frames,
            preview_frames=service.preview_frames,
            keep_hours=(None if service.keep_seconds is None else
                        service.keep_seconds / 3600),
            keep_mb=(None if service.keep_bytes is None else
                     service.keep_bytes / 2**20),
            fps_seen=service.fps_seen,
            colors=service.colors())

    @app.post(UPLOAD_PATH)
    async def upload(request: Request, filename: str = 'upload') -> dict:
        filename = filename[:200]
        length = request.headers.get('content-length')
        if length is not None and length.isdigit() \
                and int(length) > max_upload_bytes:
            raise HTTPException(413, _too_large(filename, max_upload_bytes))
        path = service.new_upload_path()
        size = 0
        try:
            with open(path, 'wb') as f:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > max_upload_bytes:
                        raise HTTPException(
                            413, _too_large(filename, max_upload_bytes))
                    f.write(chunk)
        except ClientDisconnect:  # the upload was aborted: nothing to say
            _remove(path)
            return Response(status_code=400)
        except BaseException:
            _remove(path)
            raise
        if size == 0:
            _remove(path)
            raise InputError(f'{osp.basename(filename)!r} is empty')
        video = await run_in_threadpool(service.add_upload, path, filename)
        return video.to_dict()

    @app.get('/api/videos/{video_id}')
    def video_info(video_id: str) -> dict:
        return service.get_video(video_id).to_dict()

    @app.get('/api/videos/{video_id}/frames/{index}')
    def frame(video_id: str, index: int) -> Response:
        import cv2
        img = service.frame(video_id, index)
        ok, buf = cv2.imencode('.jpg', img, [cv2.IMWRITE_JPEG_QUALITY, 92])
        if not ok:
            raise HTTPException(500, f'could not encode frame {index}')
        return Response(
            buf.tobytes(),
            media_type='image/jpeg',
            headers={'Cache-Control': 'max-age=3600'})

    def _submit(req: TrackRequest, kind: str) -> dict:
        job = service.submit(
            req.video_id, req.start_frame, req.boxes, req.model,
            frames=req.frames, confirm_long=req.confirm_long,
            corrections=[c.model_dump() for c in req.corrections],
            kind=kind, base_job=req.base_job)
        return job.snapshot()

    @app.post('/api/track')
    def track(req: TrackRequest) -> dict:
        return _submit(req, 'track')

    @app.post('/api/preview')
    def preview(req: TrackRequest) -> dict:
        return _submit(req, 'preview')

    @app.get('/api/jobs/current')
    def current_job() -> dict:
        job = service.current
        return dict(job=None if job is None else job.snapshot())

    @app.get('/api/jobs/{job_id}')
    def job_state(job_id: str) -> dict:
        return service.get_job(job_id).snapshot()

    @app.post('/api/jobs/{job_id}/cancel')
    def cancel(job_id: str) -> dict:
        return service.cancel(job_id).snapshot()

    @app.get('/api/jobs/{job_id}/events')
    def job_events(job_id: str) -> StreamingResponse:
        job = service.get_job(job_id)

        async def events():
            last = None
            while True:
                snap = job.snapshot()
                if snap != last:
                    yield f'data: {json.dumps(snap)}\n\n'
                    last = snap
                if snap['state'] not in ('queued', 'loading', 'running'):
                    return
                await asyncio.sleep(0.2)

        return StreamingResponse(
            events(),
            media_type='text/event-stream',
            headers={'Cache-Control': 'no-cache'})

    return app


def _remove(path: str) -> None:
    if osp.exists(path):
        os.remove(path)


def _too_large(filename: str, limit: int) -> str:
    return (f'{osp.basename(filename)!r} is larger than the upload limit '
            f'of {limit / 2**20:g} MiB (start the server with '
            '--max-upload-mb to change it)')
