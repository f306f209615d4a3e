# Copyright (c) mmtao contributors. All rights reserved.
"""Success and precision plots of any number of trackers (OPE style).

Reads the ground truth of a GOT-10k-layout folder (``list.txt``,
``<seq>/groundtruth.txt``, optional ``absence.label`` / ``cover.label`` /
``cut_by_image.label``) and, per tracker, its raw result files, in either
layout:

* GOT-10k submission: ``DIR/<seq>/<seq>_001.txt`` (written by
  ``GOT10kMetric`` and by ``tools/analysis/run_opencv_tracker.py``);
* one file per sequence: ``DIR/<seq>.txt`` (``SOTMetric``, OTB / LaSOT /
  TrackingNet toolkits).

Each file has one ``x,y,w,h`` line per frame. Curves are computed with
:func:`mmtao.evaluation.functional.eval_sot_ope` (success over IoU
thresholds 0:0.05:1, precision over 0..50 px) on all frames, the same
numbers as ``SOTMetric``: invisible frames count as failures
(``only_eval_visible``) unless ``--all-frames`` scores them like OTB. The
legend shows the success AUC / precision @20 px and the
GOT-10k AO of each tracker.

Plots per attribute: ``--attributes FILE`` (JSON ``{seq: [attr, ...]}``),
plus attributes derived from the GOT-10k labels when present:
``absence`` (the target disappears), ``occlusion`` (cover level < 8 on some
frame) and ``out_of_view`` (``cut_by_image``).

Example::

    python tools/analysis/plot_sot_curves.py data/synthetic/val \\
        --results ours=work_dirs/got10k ours_wo_temporal=work_dirs/got10k_wo \\
        mil=work_dirs/opencv_mil --out-dir work_dirs/plots
"""
import argparse
import json
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Tuple

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from mmengine.utils import mkdir_or_exist  # noqa: E402

from mmtao.datasets.annotation_io import (read_box_file,  # noqa: E402
                                          read_int_labels, read_name_list,
                                          xywh_to_xyxy)
from mmtao.evaluation.functional import (IOU_THRS, PIXEL_THRS,  # noqa: E402
                                         eval_got10k, eval_sot_ope)


def load_ground_truth(data_root: str) -> Dict[str, dict]:
    """Boxes (xyxy), visibility and derived attributes per sequence."""
    list_file = osp.join(data_root, 'list.txt')
    if not osp.isfile(list_file):
        raise FileNotFoundError(f'{list_file} not found: DATA_ROOT must be a '
                                'folder in GOT-10k layout')
    gts = {}
    for seq in read_name_list(list_file):
        seq_dir = osp.join(data_root, seq)
        boxes = xywh_to_xyxy(read_box_file(osp.join(seq_dir,
                                                    'groundtruth.txt')))
        n = len(boxes)
        visible = np.isfinite(boxes).all(1)
        attrs = []
        labels = {}
        for name in ('absence', 'cover', 'cut_by_image'):
            path = osp.join(seq_dir, f'{name}.label')
            if osp.isfile(path):
                labels[name] = read_int_labels(path)
                if len(labels[name]) != n:
                    raise ValueError(f'{path}: {len(labels[name])} labels '
                                     f'for {n} boxes')
        if 'absence' in labels:
            visible &= labels['absence'] == 0
            if labels['absence'].any():
                attrs.append('absence')
        if 'cover' in labels:
            visible &= labels['cover'] > 0
            if (labels['cover'] < 8).any():
                attrs.append('occlusion')
        if 'cut_by_image' in labels and labels['cut_by_image'].any():
            attrs.append('out_of_view')
        gts[seq] = dict(bboxes=boxes, visible=visible, attributes=attrs)
    return gts


def load_results(result_dir: str, seq: str, num_frames: int) -> np.ndarray:
    """Predicted xyxy boxes of one sequence from either layout."""
    candidates = [
        osp.join(result_dir, seq, f'{seq}_001.txt'),
        osp.join(result_dir, f'{seq}.txt')
    ]
    path = next((p for p in candidates if osp.isfile(p)), None)
    if path is None:
        raise FileNotFoundError(f'no results for sequence {seq!r} in '
                                f'{result_dir} (looked for {candidates})')
    boxes = read_box_file(path, allow_nan=False)
    if len(boxes) != num_frames:
        raise ValueError(f'{path}: {len(boxes)} boxes for a sequence of '
                         f'{num_frames} frames')
    return xywh_to_xyxy(boxes)


def evaluate_tracker(result_dir: str, gts: Dict[str, dict],
                     seqs: List[str], all_frames: bool) -> dict:
    """OPE curves and GOT-10k AO of one tracker on ``seqs``."""
    preds = [load_results(result_dir, s, len(gts[s]['bboxes'])) for s in seqs]
    # all frames, frame 0 included, as SOTMetric (MMTracking) counts them;
    # the GOT-10k AO below leaves frame 0 out, as its toolkit does
    ope = eval_sot_ope(preds, [gts[s]['bboxes'] for s in seqs],
                       None if all_frames else
                       [gts[s]['visible'] for s in seqs])
    got = eval_got10k(preds, [gts[s]['bboxes'] for s in seqs],
                      [gts[s]['visible'] for s in seqs])
    return dict(
        success=np.mean(ope['success_curve'], 0) / 100,
        precision=np.mean(ope['precision_curve'], 0) / 100,
        auc=ope['success'],
        prec20=ope['precision'],
        ao=got['AO'])


def plot(curves: Dict[str, dict], title: str, out_prefix: str) -> List[str]:
    """Write ``<out_prefix>_success.png`` and ``..._precision.png``."""
    paths = []
    for kind, xs, key, fmt, xlabel in (
            ('success', IOU_THRS, 'auc', '[%.1f]', 'Overlap threshold'),
            ('precision', PIXEL_THRS, 'prec20', '[%.1f]',
             'Location error threshold (px)')):
        fig, ax = plt.subplots(figsize=(5, 4))
        order = sorted(curves, key=lambda n: -curves[n][key])
        for name in order:
            c = curves[name]
            ax.plot(xs, c[kind], label=f'{fmt % c[key]} {name}'
                    + (f' AO {c["ao"]:.3f}' if kind == 'success' else ''))
        ax.set(xlabel=xlabel, ylabel='Success rate' if kind == 'success'
               else 'Precision', ylim=(0, 1.02), xlim=(xs[0], xs[-1]),
               title=f'{kind.capitalize()} plots of OPE - {title}')
        ax.grid(True, alpha=0.4)
        ax.legend(loc='lower left' if kind == 'success' else 'lower right',
                  fontsize=7)
        fig.tight_layout()
        path = f'{out_prefix}_{kind}.png'
        fig.savefig(path, dpi=120)
        plt.close(fig)
        paths.append(path)
    return paths


def parse_results(items: List[str]) -> List[Tuple[str, str]]:
    out = []
    for item in items:
        if '=' not in item:
            raise ValueError(f'--results expects NAME=DIR, got {item!r}')
        name, path = item.split('=', 1)
        if not osp.isdir(path):
            raise FileNotFoundError(f'results folder {path} of {name!r} does '
                                    'not exist')
        out.append((name, path))
    return out


def main(argv: Optional[List[str]] = None) -> Dict[str, List[str]]:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_root', help='folder in GOT-10k layout')
    parser.add_argument(
        '--results', nargs='+', required=True, help='NAME=DIR per tracker')
    parser.add_argument('--out-dir', required=True, help='where PNGs go')
    parser.add_argument(
        '--attributes', help='JSON file {seq: [attribute, ...]}')
    parser.add_argument(
        '--all-frames',
        action='store_true',
        help='score invisible frames too (OTB style)')
    parser.add_argument('--title', default=None, help='plot title')
    args = parser.parse_args(argv)

    gts = load_ground_truth(args.data_root)
    trackers = parse_results(args.results)
    if args.attributes:
        with open(args.attributes) as f:
            extra = json.load(f)
        for seq, attrs in extra.items():
            if seq not in gts:
                raise KeyError(f'{args.attributes}: unknown sequence {seq!r}')
            gts[seq]['attributes'] = sorted(
                set(gts[seq]['attributes']) | set(attrs))
    groups = defaultdict(list)
    groups['overall'] = list(gts)
    for seq, g in gts.items():
        for a in g['attributes']:
            groups[a].append(seq)

    mkdir_or_exist(args.out_dir)
    title = args.title or osp.basename(osp.normpath(args.data_root))
    written, summary = {}, {}
    for group, seqs in groups.items():
        curves = {
            name: evaluate_tracker(path, gts, seqs, args.all_frames)
            for name, path in trackers
        }
        written[group] = plot(
            curves, f'{title} ({group}, {len(seqs)} seq)',
            osp.join(args.out_dir, group))
        summary[group] = {
            n: dict(success_auc=c['auc'], precision_20px=c['prec20'],
                    ao=c['ao']) for n, c in curves.items()
        }
        for name, c in curves.items():
            print(f'{group:>12s} {name:>24s}: success AUC {c["auc"]:.2f} '
                  f'precision@20 {c["prec20"]:.2f} AO {c["ao"]:.4f}')
    with open(osp.join(args.out_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print(f'plots written to {args.out_dir}')
    return written


if __name__ == '__main__':
    main()
