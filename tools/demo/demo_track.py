# Copyright (c) mmtao contributors. All rights reserved.
"""Track objects in a video and write the tracked video (mp4) and a PNG.

With no arguments it tracks the object of the embedded clip
``demo/synthetic_demo.mp4`` (a held-out sequence of the synthetic world, with
ground truth) using the CPU-scale model trained in this repository, and
reports the mean IoU against the ground truth. On your own video::

    python tools/demo/demo_track.py --video my.mp4 --bbox 120,80,60,90
    python tools/demo/demo_track.py --video frames_dir/ --bbox 10,20,30,40 \
        --bbox 200,50,40,40          # two objects, one backbone pass a frame

``--bbox`` is ``x,y,w,h`` of the object in the first frame (pixels). The
loop itself is :func:`mmtao.apis.track_video`.
"""
import argparse
import json
import math
import os.path as osp
import sys
from typing import List, Optional

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO) if REPO not in sys.path else None
from mmtao.utils.cli import (run_cli, silence_known_warnings,  # noqa: E402
                             user_error)

DEFAULT_VIDEO = osp.join(REPO, 'demo', 'synthetic_demo.mp4')
THREADS_HELP = ('torch CPU threads. Default: OMP_NUM_THREADS, else '
                'mmtao.utils.setup_num_threads\'s rule: 1 on machines with 2 '
                'cores or fewer or little free CPU (a second OpenMP thread '
                'was never faster there and many times slower under load), '
                'else the free cores up to 4')
# the any-object model fine-tuned on the real worlds (issue 18; the last
# fine-tune on both of them, mostly in-context targets) through a search
# region, reporting boxes in the drawn box's convention, each candidate's
# box regressed once more (README "Search region", "Box convention", "Box
# refinement"): the best of the published models on real video, both
# tuning splits and the embedded clip
DEFAULT_CONFIG = osp.join(REPO, 'configs', 'tao',
                          'tao_mbv2-fpn_416_any-object-mix-crop_search.py')
DEFAULT_CHECKPOINT = osp.join(
    REPO, 'checkpoints', 'tao_mbv2-fpn_416_any-object-mix-crop_fp16.pth')


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f'{text!r}: expected a positive number of frames')
    return value


def frame_index(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(
            f'{text!r}: expected a frame index >= 0')
    return value


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Track any object in a video with mmtao')
    parser.add_argument(
        '--video',
        default=DEFAULT_VIDEO,
        help='video file (mp4, avi, ...) or folder of frames (default: the '
        'embedded clip demo/synthetic_demo.mp4)')
    parser.add_argument(
        '--bbox',
        action='append',
        help='x,y,w,h of an object in the first tracked frame (pixels); '
        'repeat for several objects (default for the embedded clip: its '
        'ground truth). A box starting with a negative number may be given '
        'as --bbox -20,30,60,90 or --bbox=-20,30,60,90')
    parser.add_argument(
        '--config',
        default=DEFAULT_CONFIG,
        help='model config (default: the fine-tuned CPU-scale model '
        'through a search region, '
        'configs/tao/tao_mbv2-fpn_416_any-object-mix-crop_search.py; '
        'tao_mbv2-fpn_320_any-object.py with its checkpoint is the '
        'paper\'s whole-frame tracker)')
    parser.add_argument(
        '--checkpoint',
        default=DEFAULT_CHECKPOINT,
        help="checkpoint file, or 'none' for random weights (smoke run)")
    parser.add_argument(
        '--out-dir',
        default=osp.join(REPO, 'outputs', 'demo'),
        help='where the tracked mp4, the PNG and the track text go')
    parser.add_argument(
        '--start-frame',
        type=frame_index,
        default=0,
        help='index of the frame --bbox is drawn on; tracking starts there '
        '(e.g. skip a black opening frame). Default 0')
    parser.add_argument(
        '--max-frames',
        type=positive_int,
        default=None,
        help='track at most this many frames from --start-frame (default: '
        'to the end)')
    parser.add_argument(
        '--no-temporal',
        action='store_true',
        help='pick the top-scoring candidate, no temporal smoothing')
    parser.add_argument(
        '--device',
        default='cpu',
        help="torch device of the model: 'cpu' (default) or e.g. 'cuda:0'")
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help=THREADS_HELP)
    parser.add_argument(
        '--debug',
        action='store_true',
        help='show the Python traceback of an error')
    argv = list(sys.argv[1:] if argv is None else argv)
    # argparse takes "-20,30,60,90" for an option: glue a value that starts
    # with '-' to its --bbox
    for i in range(len(argv) - 1):
        if argv[i] == '--bbox' and argv[i + 1].startswith('-') \
                and argv[i + 1][1:2].isdigit():
            argv[i:i + 2] = [f'--bbox={argv[i + 1]}', '']
    return parser.parse_args([a for a in argv if a != ''])


def parse_bbox(text: str) -> List[float]:
    """``'x,y,w,h'`` -> ``[x1, y1, x2, y2]``; errors quote ``text``."""
    parts = text.replace(' ', '').split(',')
    try:
        x, y, w, h = (float(p) for p in parts)
    except ValueError:
        user_error(f'--bbox {text!r}: expected four numbers x,y,w,h')
    if not all(math.isfinite(v) for v in (x, y, w, h)):
        user_error(f'--bbox {text!r}: NaN or inf; expected four finite '
                   'numbers x,y,w,h')
    if not (w > 0 and h > 0):
        user_error(f'--bbox {text!r}: the box has a non-positive size '
                   f'(w={w:g}, h={h:g}); expected x,y,w,h with w, h > 0')
    return [x, y, x + w, y + h]


def check_bbox_in_frame(text: str, box: List[float], width: int,
                        height: int) -> None:
    """Refuse a box whose centre is outside the first frame (the template
    is read there), quoting the user's x,y,w,h."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    if not (0 <= cx < width and 0 <= cy < height):
        user_error(f'--bbox {text!r}: the box centre ({cx:g}, {cy:g}) lies '
                   f'outside the {width}x{height} first frame; expected '
                   'x,y,w,h of an object inside it')


def main() -> None:
    args = parse_args()
    import numpy as np
    import torch
    from mmdet.structures.bbox import bbox_overlaps

    from mmtao.apis import SOTInferencer, init_tracker, track_video
    from mmtao.utils import setup_num_threads
    from mmtao.utils.video_io import FrameError, FrameReader, OutputError
    setup_num_threads(args.threads)

    gt = None
    if args.bbox is None:
        ann_file = osp.splitext(args.video)[0] + '.json'
        if not osp.isfile(ann_file):
            user_error(f'no --bbox given and no annotation file {ann_file} '
                       'next to the video: give the object as --bbox x,y,w,h')
        with open(ann_file) as f:
            gt = np.asarray(
                json.load(f)['gt_bboxes_xywh'], dtype=np.float32)
        if args.start_frame >= len(gt):
            user_error(f'--start-frame {args.start_frame}: {ann_file} has '
                       f'boxes for {len(gt)} frames')
        texts = [','.join(map(str, gt[args.start_frame].tolist()))]
        init_boxes = [parse_bbox(texts[0])]
    else:
        texts = args.bbox
        init_boxes = [parse_bbox(b) for b in texts]

    checkpoint = None if args.checkpoint.lower() == 'none' \
        else args.checkpoint
    if checkpoint is not None and not osp.isfile(checkpoint):
        user_error(f'checkpoint not found: {checkpoint} (train one with the '
                   'command in README "CPU-scale model", or pass '
                   '--checkpoint none for a random-weight smoke run)')
    if not osp.isfile(args.config):
        user_error(f'config not found: {args.config} (expected an mmtao '
                   'config file, e.g. configs/tao/'
                   'tao_mbv2-fpn_320_any-object.py)')
    reader = FrameReader(
        args.video, max_frames=args.max_frames, start_frame=args.start_frame)
    width, height = reader.frame_size()
    for text, box in zip(texts, init_boxes):
        check_bbox_in_frame(text, box, width, height)
    model = init_tracker(args.config, checkpoint, device=args.device)
    inferencer = SOTInferencer(model, temporal=not args.no_temporal)

    from mmengine.utils import ProgressBar
    total = len(reader)
    print(f'tracking {len(init_boxes)} object(s) in {args.video} '
          f'({total} frames from frame {args.start_frame}) with '
          f'{osp.basename(args.config)}, checkpoint: '
          f'{checkpoint or "none (random weights)"}')
    bar = ProgressBar(total)
    error = None
    try:
        summary = track_video(
            inferencer,
            reader,
            init_boxes,
            out_dir=args.out_dir,
            progress=lambda done, _total, _fps: bar.update())
    except (FrameError, OutputError) as e:
        error, summary = e, e.summary
    finally:  # an error line must not be glued to the progress bar
        sys.stdout.write('\n')
        sys.stdout.flush()

    n = summary.num_frames
    speed = 'no frame tracked after the first' if summary.model_fps is None \
        else (f'tracking speed: {summary.model_fps:.1f} FPS (model only), '
              f'{summary.fps:.1f} FPS end to end (decode + track + draw + '
              f'encode), mean presence score: {summary.mean_score:.3f}')
    print(f'frames: {n}, {speed}')
    if gt is not None and n > 1:
        ious = []
        for row, index in enumerate(summary.frame_indices[1:], 1):
            if index < len(gt) and gt[index][2] > 0 and gt[index][3] > 0:
                x, y, w, h = gt[index].tolist()
                ious.append(
                    float(
                        bbox_overlaps(
                            torch.as_tensor(summary.bboxes[row, :1]),
                            torch.tensor([[x, y, x + w, y + h]]))[0, 0]))
        if ious:
            ious_np = np.asarray(ious)
            print(f'against the ground truth: mean IoU (AO) '
                  f'{ious_np.mean():.3f}, success rate IoU>0.5 '
                  f'{np.mean(ious_np > 0.5):.3f}')
    for key in ('video', 'sheet', 'track'):
        if key in summary.outputs:
            print(f'wrote {summary.outputs[key]}')
    if isinstance(error, OutputError):
        kept = ', '.join(summary.outputs.values()) or 'nothing'
        user_error(f'{error}; kept: {kept}')
    if error is not None:
        last = summary.frame_indices[-1] if n else None
        user_error(f'{error}; stopped there, the outputs above hold frames '
                   f'{args.start_frame}..{last}' if n else str(error))


if __name__ == '__main__':
    silence_known_warnings()
    run_cli(main)
