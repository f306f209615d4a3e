# Copyright (c) mmtao contributors. All rights reserved.
"""Pick the objects with the mouse in a local web page and track them.

    make web                               # installs the web extra first
    python tools/demo/web_demo.py [--port 8000] [--max-frames 60]

Starts a server on 127.0.0.1 (a free port unless ``--port`` is given) and
prints its URL. The page offers the embedded clip of ``make demo`` or an
upload, a slider for the start frame, box dragging, a preview of the first
frames, progress with the time left and Cancel, the result video with a
frame slider and score chart, downloads (mp4, track txt, masks as COCO RLE
json and PNG zip) and corrections on later frames. Requests from other web
pages are refused; uploads, frame sizes and request bodies are bounded; old
uploads and results are deleted (``--keep-hours``, ``--keep-mb``); every
refused cross-site request is printed. The trackers offered are the CLI demo's
config + checkpoint, then any other ``checkpoints/<name>[_fp16].pth`` that
has a config ``<name>.py`` in ``configs/`` or ``projects/*/configs/``.
"""
import argparse
import glob
import os.path as osp
import socket
from typing import List

# the CLI demo's embedded clip, config, checkpoint and argument types (same
# folder; importing it also puts the repository on sys.path)
from demo_track import (DEFAULT_CHECKPOINT, DEFAULT_CONFIG, DEFAULT_VIDEO,
                        REPO, THREADS_HELP, positive_int)

from mmtao.utils.cli import run_cli, silence_known_warnings, user_error


def positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(
            f'{text!r}: expected a positive number')
    return value


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='mmtao browser demo: pick objects with the mouse')
    parser.add_argument(
        '--port',
        type=int,
        default=0,
        help='port to listen on (default: a free one)')
    parser.add_argument(
        '--host',
        default='127.0.0.1',
        help='interface to listen on. The default, 127.0.0.1, is reachable '
        'from this machine only; give 0.0.0.0 only if other machines on '
        'your network should reach the page')
    parser.add_argument(
        '--config',
        help='offer only this config (with --checkpoint) instead of the '
        "CLI demo's and the discovered ones")
    parser.add_argument(
        '--checkpoint',
        help="checkpoint for --config, or 'none' for random weights")
    parser.add_argument(
        '--video',
        default=DEFAULT_VIDEO,
        help='the clip offered as "embedded" (default: the one make demo '
        'tracks)')
    parser.add_argument(
        '--out-dir',
        default=osp.join(REPO, 'outputs', 'web'),
        help='uploads and results; the only folder the server serves files '
        'from')
    parser.add_argument(
        '--max-upload-mb',
        type=positive_number,
        default=200,
        help='largest accepted upload in MiB (default 200)')
    parser.add_argument(
        '--max-frames',
        type=positive_int,
        default=None,
        help='track at most this many frames from the start frame')
    parser.add_argument(
        '--max-megapixels',
        type=positive_number,
        default=8.3,
        help='largest frame of an upload in megapixels (default 8.3, i.e. '
        '3840x2160); larger videos are refused with a message')
    parser.add_argument(
        '--long-frames',
        type=positive_int,
        default=1500,
        help='a job of more frames must be confirmed on the page, which '
        'shows the estimated time first (default 1500)')
    parser.add_argument(
        '--keep-hours',
        type=positive_number,
        default=24,
        help='delete uploads and results not used for this long, at start, '
        'after each upload and after each job (default 24)')
    parser.add_argument(
        '--keep-mb',
        type=positive_number,
        default=2048,
        help='keep uploads + results under this many MiB, oldest deleted '
        'first (default 2048)')
    parser.add_argument(
        '--no-temporal',
        action='store_true',
        help='pick the top-scoring candidate, no temporal smoothing (as '
        'the CLI demo)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help=THREADS_HELP)
    parser.add_argument(
        '--debug',
        action='store_true',
        help='show the Python traceback of an error')
    return parser.parse_args()


def model_choices(args: argparse.Namespace) -> List:
    """The CLI demo's tracker first, then other checkpoints with a config."""
    from mmtao.apis.web import ModelChoice

    if args.config is not None:
        ckpt = args.checkpoint
        if ckpt is None or ckpt.lower() == 'none':
            ckpt = None
        elif not osp.isfile(ckpt):
            user_error(f'--checkpoint not found: {ckpt}')
        if not osp.isfile(args.config):
            user_error(f'--config not found: {args.config} (expected an '
                       'mmtao config file)')
        return [ModelChoice(osp.basename(args.config), args.config, ckpt)]
    if args.checkpoint is not None:
        user_error('--checkpoint needs --config')
    choices = []
    for ckpt in sorted(glob.glob(osp.join(REPO, 'checkpoints', '*.pth'))):
        stem = osp.splitext(osp.basename(ckpt))[0]
        stem = stem[:-len('_fp16')] if stem.endswith('_fp16') else stem
        configs = glob.glob(
            osp.join(REPO, 'configs', '**', stem + '.py'),
            recursive=True) + glob.glob(
                osp.join(REPO, 'projects', '*', 'configs', stem + '.py'))
        if osp.abspath(ckpt) == osp.abspath(DEFAULT_CHECKPOINT):
            choices.insert(0, ModelChoice(stem, DEFAULT_CONFIG, ckpt))
        elif configs:
            choices.append(ModelChoice(stem, sorted(configs)[0], ckpt))
    if not choices:
        user_error(f'no trained checkpoint found ({DEFAULT_CHECKPOINT} is '
                   'missing): train one with the command in README '
                   '"CPU-scale model", or give --config C --checkpoint none '
                   'for a random-weight smoke run')
    return choices


def main() -> None:
    args = parse_args()
    try:
        import uvicorn

        from mmtao.apis.web import TrackingService, create_app
    except ImportError as e:
        user_error(f'the browser demo needs the web extra ({e}): run '
                   '`make web`, or `pip install -r requirements/web.txt`')
    from mmtao.apis.web import InputError
    from mmtao.utils import setup_num_threads
    setup_num_threads(args.threads)

    # the embedded clip may be absent from a trimmed checkout; a --video the
    # user gave must exist
    video = args.video
    if not osp.isfile(video):
        if video != DEFAULT_VIDEO:
            user_error(f'--video not found: {video} (expected a video file)')
        video = None
    service = TrackingService(
        model_choices(args),
        args.out_dir,
        default_video=video,
        max_frames=args.max_frames,
        temporal=not args.no_temporal,
        device=args.device,
        max_pixels=int(args.max_megapixels * 1e6),
        long_frames=args.long_frames,
        keep_hours=args.keep_hours,
        keep_mb=args.keep_mb)
    if video is not None:
        try:
            service.default_video_info()
        except InputError as e:
            user_error(f'--video {video}: {e}')
    loopback = args.host in ('127.0.0.1', 'localhost', '::1')
    app = create_app(
        service,
        max_upload_bytes=int(args.max_upload_mb * 2**20),
        allowed_hosts=None if loopback else ['*'],
        on_refused=lambda line: print(f'mmtao browser demo: {line}',
                                      flush=True))

    family = socket.AF_INET6 if ':' in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as e:
        user_error(f'cannot listen on {args.host}:{args.port}: '
                   f'{e.strerror} (give another --port, or 0 for a free one)')
    port = sock.getsockname()[1]
    host = f'[{args.host}]' if ':' in args.host else args.host
    print(f'mmtao browser demo: open http://{host}:{port}/ '
          f'(trackers: {", ".join(service.models)}; results in '
          f'{service.jobs_dir}, kept {args.keep_hours:g} h / '
          f'{args.keep_mb:g} MiB; Ctrl+C stops)', flush=True)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level='warning', timeout_graceful_shutdown=2))
    try:
        server.run(sockets=[sock])
    finally:
        service.shutdown()


if __name__ == '__main__':
    silence_known_warnings()
    run_cli(main)
