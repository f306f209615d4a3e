# Copyright (c) mmtao contributors. All rights reserved.
"""Run several tracker variants over a GOT-10k-layout folder, one backbone
pass per frame, and score them (AO / SR / OxUvA TPR-TNR, per sequence).

The variants share the model (one config + checkpoint) and differ only in
``model.test_cfg.tracker`` (``IdentityTracker`` options) / the smoother, so
each frame's FPN features are computed once and given to every variant's
tracker: N variants cost one backbone pass plus N heads passes per frame.
The tracker of each variant is what ``tools/test.py`` runs (the same
``build_tracker``); ``paper`` is the config's tracker without
``test_cfg.tracker``. Per-frame cues (detector score, similarities, motion
factor, IoU with the ground truth, absent flag) are saved for
``tools/analysis/fit_presence.py``.

Example::

    python tools/analysis/track_variants.py \\
        configs/tao/tao_mbv2-fpn_320_any-object_identity.py \\
        checkpoints/tao_mbv2-fpn_320_any-object_fp16.pth \\
        --data-root data/world/val_seen --out work_dirs/variants_seen \\
        --variant paper=none --variant full= \\
        --variant no-motion=motion:None
"""
import argparse
import ast
import copy
import json
import os
import os.path as osp
import pickle
import time
from typing import Dict, List

import cv2
import numpy as np
import torch
from mmengine.utils import ProgressBar

from mmtao.apis import SOTInferencer, init_tracker
from mmtao.evaluation.functional.eval_got10k import eval_got10k
from mmtao.evaluation.functional.eval_oxuva import eval_oxuva
from mmtao.models.trackers import build_tracker


class _SharedFeatures:
    """The model with ``extract_feat`` answering from a cache (the frame's
    features computed once for all variants)."""

    def __init__(self, model, feats):
        self._model, self._feats = model, feats

    def extract_feat(self, img):
        return self._feats

    def __getattr__(self, name):
        return getattr(self._model, name)


def parse_variant(text: str, base: dict) -> tuple:
    """``name=key:value;key:value`` -> (name, tracker cfg or None)."""
    name, _, spec = text.partition('=')
    if spec.strip() == 'none':
        return name, None
    cfg = copy.deepcopy(base)
    for item in filter(None, spec.split(';')):
        key, _, value = item.partition(':')
        value = ast.literal_eval(value)
        target = cfg
        parts = key.split('.')
        for p in parts[:-1]:
            target = target.setdefault(p, {})
        target[parts[-1]] = value
    return name, cfg


def run_oxuva(args, model, inferencers) -> None:
    """OxUvA layout (``tasks/dev.csv``, ``images/dev/<video>/<frame>.jpeg``,
    the real-video benchmark): every frame of every task is tracked, and
    ``<out>/<variant>/oxuva/<video>_<object>.csv`` written for
    ``tools/analysis/score_real_video.py`` (cues in
    ``<variant>_cues.json``)."""
    import csv
    tasks = [r for r in csv.reader(open(osp.join(args.data_root, 'tasks',
                                                 'dev.csv'))) if r]
    if args.seqs:
        tasks = [tasks[i] for i in args.seqs]
    total = sum(int(t[3]) - int(t[2]) + 1 for t in tasks)
    bar = ProgressBar(total)
    cues_out = {name: {} for name, _ in inferencers}
    for task in tasks:
        video, obj, first, last = task[0], task[1], int(task[2]), int(task[3])
        fx1, fx2, fy1, fy2 = (float(v) for v in task[4:8])
        rows = {name: [] for name, _ in inferencers}
        for num in range(first, last + 1):
            img = cv2.imread(
                osp.join(args.data_root, 'images', 'dev', video,
                         f'{num:06d}.jpeg'))
            h, w = img.shape[:2]
            if num == first:
                box = [fx1 * w, fy1 * h, fx2 * w, fy2 * h]
                for name, inf in inferencers:
                    inf.init(img, [box])
                bar.update()
                continue
            inputs, meta = inferencers[0][1]._prepare(img)
            meta = dict(meta, frame_id=num - first)
            shared = _SharedFeatures(model, model.extract_feat(inputs))
            for name, inf in inferencers:
                pred = inf.tracker.track(shared, inputs, meta)
                b = pred.bboxes[0].tolist()
                score = float(pred.scores[0])
                rows[name].append([
                    video, obj, num, 'true' if score >= args.threshold else
                    'false', f'{score:.6f}', f'{b[0] / w:.6f}',
                    f'{b[2] / w:.6f}', f'{b[1] / h:.6f}', f'{b[3] / h:.6f}'
                ])
                cues = getattr(inf.tracker, 'last_cues', None) or {}
                cues_out[name][f'{video}_{obj}_{num}'] = {
                    k: float(v[0])
                    for k, v in cues.items()
                }
            bar.update()
        for name, _ in inferencers:
            d = osp.join(args.out, name, 'oxuva')
            os.makedirs(d, exist_ok=True)
            with open(osp.join(d, f'{video}_{obj}.csv'), 'w',
                      newline='') as f:
                csv.writer(f).writerows(rows[name])
    for name, _ in inferencers:
        with open(osp.join(args.out, f'{name}_cues.json'), 'w') as f:
            json.dump(cues_out[name], f)
    print('\nscore: python tools/analysis/score_real_video.py --results ' +
          ' '.join(f'{n}={osp.join(args.out, n)}' for n, _ in inferencers))


def lookalikes(data_root: str, seq: str) -> int:
    """Distractors of the target's own identity family in a sequence."""
    path = osp.join(data_root, 'annotations', 'identities.json')
    meta = osp.join(data_root, seq, 'meta_info.ini')
    if not (osp.exists(path) and osp.exists(meta)):
        return 0
    sprite = None
    for line in open(meta):
        if line.startswith('sprite'):
            sprite = line.split('=', 1)[1].strip()
    ids = json.load(open(path)).get(seq, [])
    return sum(1 for i in ids if sprite and i != sprite and i.startswith(
        sprite + '_'))


def main(argv=None) -> Dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--data-root', required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--variant', action='append', default=[],
                        help="name=key:value;... over the config's "
                        "test_cfg.tracker ('none' = the paper's tracker)")
    parser.add_argument('--seqs', type=int, nargs='*', default=None,
                        help='indices into list.txt (default all)')
    parser.add_argument('--threshold', type=float, default=0.5)
    parser.add_argument('--max-frames', type=int, default=None,
                        help='first frames of each sequence only (smoke)')
    args = parser.parse_args(argv)

    model = init_tracker(args.config, args.checkpoint)
    base = dict(model.test_cfg.get('tracker') or {})
    variants = [parse_variant(v, base) for v in args.variant] or [('config',
                                                                    base)]
    inferencers = []
    for name, cfg in variants:
        inf = SOTInferencer(model)
        test_cfg = copy.deepcopy(model.test_cfg)
        test_cfg.tracker = cfg
        inf.tracker = build_tracker(test_cfg)
        inferencers.append((name, inf))
    if osp.isfile(osp.join(args.data_root, 'tasks', 'dev.csv')):
        return run_oxuva(args, model, inferencers)
    seqs = [s.strip() for s in open(osp.join(args.data_root, 'list.txt'))
            if s.strip()]
    if args.seqs:
        seqs = [seqs[i] for i in args.seqs]
    results = {name: dict(boxes=[], scores=[], cues=[]) for name, _ in
               variants}
    gts, vis_all, sizes = [], [], []
    total = sum(
        len([f for f in os.listdir(osp.join(args.data_root, s))
             if f.endswith('.jpg')][:args.max_frames]) for s in seqs)
    bar = ProgressBar(total)
    t0 = time.time()
    for seq in seqs:
        d = osp.join(args.data_root, seq)
        frames = sorted(f for f in os.listdir(d)
                        if f.endswith('.jpg'))[:args.max_frames]
        gt = np.loadtxt(osp.join(d, 'groundtruth.txt'),
                        delimiter=',')[:len(frames)]
        gt = np.concatenate([gt[:, :2], gt[:, :2] + gt[:, 2:]], 1)
        absent = np.loadtxt(osp.join(d, 'absence.label')).astype(bool) \
            if osp.exists(osp.join(d, 'absence.label')) else np.zeros(
                len(gt), bool)
        cover = np.loadtxt(osp.join(d, 'cover.label')) if osp.exists(
            osp.join(d, 'cover.label')) else np.ones(len(gt))
        vis = ((cover > 0) & ~absent)[:len(frames)]
        per = {name: ([], [], []) for name, _ in variants}
        for i, fname in enumerate(frames):
            img = cv2.imread(osp.join(d, fname))
            if i == 0:
                sizes.append((img.shape[1], img.shape[0]))
            else:
                inputs, meta = inferencers[0][1]._prepare(img)
                meta = dict(meta, frame_id=i)
                shared = _SharedFeatures(model, model.extract_feat(inputs))
            for name, inf in inferencers:
                cue = {}
                if i == 0:
                    pred = inf.init(img, gt[0:1]).pred_track_instances
                else:
                    pred = inf.tracker.track(shared, inputs, meta)
                    cues = getattr(inf.tracker, 'last_cues', None) or {}
                    cue = {k: float(v[0]) for k, v in cues.items()}
                    cue['presence'] = float(pred.scores[0])
                per[name][0].append(pred.bboxes[0].cpu().numpy())
                per[name][1].append(float(pred.scores[0]))
                per[name][2].append(cue)
            bar.update()
        for name, _ in variants:
            results[name]['boxes'].append(np.stack(per[name][0]))
            results[name]['scores'].append(np.asarray(per[name][1]))
            results[name]['cues'].append(per[name][2])
        gts.append(gt)
        vis_all.append(vis)
    os.makedirs(args.out, exist_ok=True)
    with open(osp.join(args.out, 'raw.pkl'), 'wb') as f:
        pickle.dump(dict(results=results, gts=gts, vis=vis_all, sizes=sizes,
                         seqs=seqs), f)
    print(f'\n{total} frames, {len(variants)} variants in '
          f'{time.time() - t0:.0f} s')
    os.makedirs(args.out, exist_ok=True)
    hard = {s: lookalikes(args.data_root, s) for s in seqs}
    summary = {}
    for name, _ in variants:
        r = results[name]
        got = eval_got10k(r['boxes'], gts, vis_all, sizes, seqs)
        gt_nan = [np.where(v[:, None], g, np.nan) for g, v in zip(gts, vis_all)]
        ox = eval_oxuva(r['boxes'], r['scores'], gt_nan, vis_all, sizes,
                        score_thr=args.threshold)
        seq_ao = {s: got['seq_wise'][s]['AO'] for s in seqs}
        hard_seqs = [s for s in seqs if hard[s]]
        summary[name] = dict(
            AO=got['AO'], SR50=got['SR0.5'], SR75=got['SR0.75'],
            TPR=ox['TPR'], TNR=ox['TNR'], seq_ao=seq_ao,
            AO_lookalike=float(np.mean([seq_ao[s] for s in hard_seqs]))
            if hard_seqs else float('nan'),
            AO_other=float(np.mean([seq_ao[s] for s in seqs
                                    if not hard[s]])))
        print(f"{name:>16}: AO {got['AO']:.4f}  SR0.5 {got['SR0.5']:.4f}  "
              f"SR0.75 {got['SR0.75']:.4f}  TPR {ox['TPR']:.4f}  TNR "
              f"{ox['TNR']:.4f}  look-alike seqs AO "
              f"{summary[name]['AO_lookalike']:.4f} ({len(hard_seqs)})  "
              f"others {summary[name]['AO_other']:.4f}")
        # per-frame cues + truth for presence fitting
        rows = []
        for s, boxes, cues, g, v in zip(seqs, r['boxes'], r['cues'], gts,
                                        vis_all):
            from mmtao.evaluation.functional.eval_got10k import \
                got10k_rect_iou, xyxy_to_xywh
            ious = got10k_rect_iou(
                xyxy_to_xywh(boxes), xyxy_to_xywh(np.nan_to_num(g)))
            for i in range(1, len(boxes)):
                rows.append(dict(seq=s, frame=i, visible=bool(v[i]),
                                 iou=float(ious[i]) if v[i] else 0.,
                                 **cues[i]))
        with open(osp.join(args.out, f'{name}_frames.json'), 'w') as f:
            json.dump(rows, f)
    with open(osp.join(args.out, 'summary.json'), 'w') as f:
        json.dump(dict(summary=summary, lookalikes=hard), f, indent=1)
    names = [n for n, _ in variants]
    print('per sequence AO: ' + ' '.join(names))
    for s in seqs:
        print(f'{s} ({hard[s]} look-alikes): ' + ' '.join(
            f"{summary[n]['seq_ao'][s]:.3f}" for n in names))
    return summary


if __name__ == '__main__':
    torch.set_grad_enabled(False)
    main()
