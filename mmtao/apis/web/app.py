# Copyright (c) mmtao contributors. All rights reserved.
"""FastAPI application of the browser demo.

Routes (all JSON errors are ``{"detail": "<one line for the page>"}``):

- ``GET /``: the page; ``/static/*`` its script and style.
- ``GET /api/info``: models, limits, the embedded clip.
- ``POST /api/videos?filename=NAME``: upload a video as the raw request
  body (streamed to disk, refused past the size limit).
- ``GET /api/videos/{video_id}``, ``GET /api/videos/{video_id}/frames/{i}``:
  a video's size and frame count, one frame as JPEG (``default`` = the
  embedded clip).
- ``POST /api/track``: ``{video_id, start_frame, boxes: [[x,y,w,h],...],
  model}`` starts a job; ``GET /api/jobs/{id}/events`` streams its
  progress as server-sent events; ``GET /api/jobs/{id}`` polls it.
- ``GET /files/{job_id}/{name}``: results, served by Starlette's
  ``StaticFiles`` from the jobs folder only (it refuses paths that resolve
  outside it, symlinks included).
"""
import asyncio
import json
import os
import os.path as osp
from typing import List, Optional, Sequence

from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (FileResponse, JSONResponse, Response,
                               StreamingResponse)
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.middleware.trustedhost import TrustedHostMiddleware

from .jobs import BusyError, InputError, TrackingService

STATIC_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'static')
LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]']


class TrackRequest(BaseModel):
    video_id: str
    start_frame: int = 0
    boxes: List[List[float]]
    model: Optional[str] = None


def create_app(service: TrackingService,
               max_upload_bytes: int = 200 * 2**20,
               allowed_hosts: Optional[Sequence[str]] = None) -> FastAPI:
    """Build the demo's web application around a tracking service.

    Args:
        service (TrackingService): Videos, checks and jobs.
        max_upload_bytes (int): Largest accepted upload. Defaults to 200 MiB.
        allowed_hosts (Sequence[str], optional): Accepted ``Host`` headers;
            defaults to the loopback names, which also stops a web page
            from reaching the server through DNS rebinding.

    Returns:
        FastAPI: The application (serve it with uvicorn).
    """
    app = FastAPI(title='mmtao browser demo', docs_url=None, redoc_url=None)
    app.add_middleware(
        TrustedHostMiddleware,
        allowed_hosts=list(allowed_hosts or LOOPBACK_HOSTS))
    app.state.service = service
    app.mount('/static', StaticFiles(directory=STATIC_DIR), name='static')
    app.mount(
        '/files', StaticFiles(directory=service.jobs_dir), name='files')

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError):
        return JSONResponse({'detail': str(exc)}, status_code=400)

    @app.exception_handler(BusyError)
    async def _busy_error(request: Request, exc: BusyError):
        return JSONResponse({'detail': str(exc)}, status_code=409)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request,
                                exc: RequestValidationError):
        err = exc.errors()[0] if exc.errors() else {}
        where = '.'.join(str(p) for p in err.get('loc', ())[1:]) or 'request'
        return JSONResponse(
            {'detail': f'{where}: {err.get("msg", "invalid request")}'},
            status_code=422)

    @app.get('/', include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(osp.join(STATIC_DIR, 'index.html'))

    @app.get('/api/info')
    def info() -> dict:
        default = None
        if service.default_video is not None:
            default = service.default_video_info().to_dict()
        return dict(
            models=list(service.models),
            default_model=service.default_model,
            default_video=default,
            max_upload_bytes=max_upload_bytes,
            max_frames=service.max_frames,
            max_objects=service.max_objects,
            colors=service.colors())

    @app.post('/api/videos')
    async def upload(request: Request, filename: str = 'upload') -> dict:
        length = request.headers.get('content-length')
        if length is not None and length.isdigit() \
                and int(length) > max_upload_bytes:
            raise HTTPException(413, _too_large(filename, max_upload_bytes))
        path = service.new_upload_path(filename)
        size = 0
        try:
            with open(path, 'wb') as f:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > max_upload_bytes:
                        raise HTTPException(
                            413, _too_large(filename, max_upload_bytes))
                    f.write(chunk)
        except BaseException:
            if osp.exists(path):
                os.remove(path)
            raise
        if size == 0:
            os.remove(path)
            raise InputError(f'{filename!r} is empty')
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

    @app.post('/api/track')
    def track(req: TrackRequest) -> dict:
        job = service.submit(req.video_id, req.start_frame, req.boxes,
                             req.model)
        return job.snapshot()

    @app.get('/api/jobs/{job_id}')
    def job_state(job_id: str) -> dict:
        return service.get_job(job_id).snapshot()

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
                if snap['state'] in ('done', 'error'):
                    return
                await asyncio.sleep(0.2)

        return StreamingResponse(
            events(),
            media_type='text/event-stream',
            headers={'Cache-Control': 'no-cache'})

    return app


def _too_large(filename: str, limit: int) -> str:
    return (f'{filename!r} is larger than the upload limit of '
            f'{limit / 2**20:g} MiB (start the server with --max-upload-mb '
            'to change it)')
