# Copyright (c) mmtao contributors. All rights reserved.
"""Track objects in a video and write the tracked video (mp4) and a PNG.

With no arguments it tracks the object of the embedded clip
``demo/synthetic_demo.mp4`` (a held-out sequence of the synthetic world, with
ground truth) using the CPU-scale model trained in this repository, and
reports the mean IoU against the ground truth. On your own video::

    python tools/demo/demo_track.py --video my.mp4 --bbox 120,80,60,90
    python tools/demo/demo_track.py --video frames_dir/ --bbox 10,20,30,40 \
        --bbox 200,50,40,40          # two objects, one backbone pass a frame

``--bbox`` is ``x,y,w,h`` of the object in the first frame (pixels).
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_VIDEO = osp.join(REPO, 'demo', 'synthetic_demo.mp4')
DEFAULT_CONFIG = osp.join(REPO, 'configs', 'tao',
                          'tao_mbv2-fpn_320_synthetic.py')
DEFAULT_CHECKPOINT = osp.join(REPO, 'checkpoints',
                              'tao_mbv2-fpn_320_synthetic_fp16.pth')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Track any object in a video with mmtao')
    parser.add_argument(
        '--video',
        default=DEFAULT_VIDEO,
        help='video file (mp4, avi, ...) or folder of frames')
    parser.add_argument(
        '--bbox',
        action='append',
        help='x,y,w,h of an object in the first frame; repeat for several '
        'objects (default for the embedded clip: its ground truth)')
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument(
        '--checkpoint',
        default=DEFAULT_CHECKPOINT,
        help="checkpoint file, or 'none' for random weights (smoke run)")
    parser.add_argument(
        '--out-dir',
        default=osp.join(REPO, 'outputs', 'demo'),
        help='where the tracked mp4, the PNG and the track text go')
    parser.add_argument('--max-frames', type=int, default=None)
    parser.add_argument(
        '--no-temporal',
        action='store_true',
        help='pick the top-scoring candidate, no temporal smoothing')
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--threads',
        type=int,
        default=1,
        help='torch CPU threads. Default 1: on the 2-core project machines, '
        'with other work running, 2 OpenMP threads made a MobileNetV2 '
        'backbone pass 60x slower (2.6 s vs 0.04 s); raise it on an idle '
        'machine with more cores')
    return parser.parse_args()


def parse_bbox(text: str) -> list:
    parts = text.replace(' ', '').split(',')
    try:
        x, y, w, h = (float(p) for p in parts)
    except ValueError:
        raise SystemExit(f'--bbox {text!r}: expected four numbers x,y,w,h')
    return [x, y, x + w, y + h]


def iou_xyxy(a: np.ndarray, b: np.ndarray) -> float:
    from mmdet.structures.bbox import bbox_overlaps
    import torch
    return float(
        bbox_overlaps(
            torch.as_tensor(a, dtype=torch.float32).reshape(1, 4),
            torch.as_tensor(b, dtype=torch.float32).reshape(1, 4))[0, 0])


def main() -> None:
    args = parse_args()
    import torch
    torch.set_num_threads(max(args.threads, 1))
    import mmcv
    from mmdet.visualization import DetLocalVisualizer
    from mmengine.utils import ProgressBar

    from mmtao.apis import SOTInferencer, init_tracker
    from mmtao.utils.video_io import FrameReader, Mp4Writer

    gt = None
    if args.bbox is None:
        ann_file = osp.splitext(args.video)[0] + '.json'
        if not osp.isfile(ann_file):
            raise SystemExit(f'no --bbox given and no annotation file '
                             f'{ann_file} next to the video: give the '
                             'object as --bbox x,y,w,h')
        with open(ann_file) as f:
            ann = json.load(f)
        gt = np.asarray(ann['gt_bboxes_xywh'], dtype=np.float32)
        init_boxes = [parse_bbox(','.join(map(str, gt[0])))]
    else:
        init_boxes = [parse_bbox(b) for b in args.bbox]

    checkpoint = None if args.checkpoint.lower() == 'none' \
        else args.checkpoint
    if checkpoint is not None and not osp.isfile(checkpoint):
        raise SystemExit(f'checkpoint not found: {checkpoint} (train one '
                         'with the command in README "CPU-scale model", or '
                         "pass --checkpoint none for a random-weight smoke "
                         'run)')
    model = init_tracker(args.config, checkpoint, device=args.device)
    inferencer = SOTInferencer(model, temporal=not args.no_temporal)
    reader = FrameReader(args.video, max_frames=args.max_frames)
    total = len(reader)

    name = osp.splitext(osp.basename(osp.normpath(args.video)))[0]
    os.makedirs(args.out_dir, exist_ok=True)
    out_mp4 = osp.join(args.out_dir, f'{name}_tracked.mp4')
    out_png = osp.join(args.out_dir, f'{name}_tracked.png')
    out_txt = osp.join(args.out_dir, f'{name}_track.txt')

    # mmdet's detection visualizer, one "class" per tracked object so each
    # keeps its colour and its name
    visualizer = DetLocalVisualizer(line_width=2, alpha=0.5)
    visualizer.dataset_meta = dict(
        classes=tuple(f'object {k}' for k in range(len(init_boxes))),
        palette='random')
    print(f'tracking {len(init_boxes)} object(s) in {args.video} '
          f'({total} frames) with {osp.basename(args.config)}, '
          f'checkpoint: {checkpoint or "none (random weights)"}')

    rows, sheet, ious, scores = [], [], [], []
    track_time = 0.0
    progress = ProgressBar(total)
    with Mp4Writer(out_mp4, fps=reader.fps) as writer:
        for i, frame in enumerate(reader):
            t0 = time.perf_counter()
            result = inferencer.init(frame, init_boxes) if i == 0 \
                else inferencer.track(frame)
            if i > 0:
                track_time += time.perf_counter() - t0
            pred = result.pred_track_instances
            result.pred_instances = pred.clone()
            result.pred_instances.labels = pred.instances_id
            visualizer.add_datasample(
                'frame', mmcv.bgr2rgb(frame), result, draw_gt=False,
                pred_score_thr=0.0)
            drawn = mmcv.rgb2bgr(visualizer.get_image())
            writer.write(drawn)
            if i % max(total // 6, 1) == 0 and len(sheet) < 6:
                sheet.append(drawn)
            for k, (box, score) in enumerate(
                    zip(pred.bboxes.numpy(), pred.scores.numpy())):
                x1, y1, x2, y2 = box.tolist()
                rows.append(f'{i},{k},{x1:.2f},{y1:.2f},{x2 - x1:.2f},'
                            f'{y2 - y1:.2f},{float(score):.4f}')
                if i > 0:
                    scores.append(float(score))
            if gt is not None and 0 < i < len(gt):
                g = gt[i]
                if g[2] > 0 and g[3] > 0:
                    ious.append(
                        iou_xyxy(pred.bboxes[0].numpy(),
                                 [g[0], g[1], g[0] + g[2], g[1] + g[3]]))
            progress.update()
    sys.stdout.write('\n')
    with open(out_txt, 'w') as f:
        f.write('frame,object,x,y,w,h,score\n' + '\n'.join(rows) + '\n')
    if sheet:
        mmcv.imwrite(np.concatenate(sheet, axis=1), out_png)

    n_tracked = max(len(rows) // max(len(init_boxes), 1) - 1, 1)
    print(f'frames: {len(rows) // max(len(init_boxes), 1)}, '
          f'tracking speed: {n_tracked / max(track_time, 1e-9):.1f} FPS '
          f'(model only), mean presence score: '
          f'{np.mean(scores) if scores else float("nan"):.3f}')
    if ious:
        ious_np = np.asarray(ious)
        print(f'against the ground truth: mean IoU (AO) {ious_np.mean():.3f}, '
              f'success rate IoU>0.5 {np.mean(ious_np > 0.5):.3f}')
    print(f'wrote {out_mp4}\nwrote {out_png}\nwrote {out_txt}')


if __name__ == '__main__':
    main()
