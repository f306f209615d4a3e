# Copyright (c) mmtao contributors. All rights reserved.
"""AO / SR by object size on a GOT-10k-layout folder.

Every scored frame (GOT-10k's: after the first, target visible) goes to a
size group by its ground-truth box, ``sqrt(w * h)`` as a fraction of the
frame's short side: *small* < 0.075 (36 px at 640x480), *medium* 0.075-0.25
(36-120 px), *large* >= 0.25. IoUs are the GOT-10k toolkit's
(:func:`mmtao.evaluation.functional.eval_got10k.got10k_rect_iou`, boxes
clipped to the image), so the rows add up to the AO that ``tools/test.py``
prints. Example::

    python tools/analysis/ao_by_size.py data/world/val_unseen \\
        --results shipped=work_dirs/eval_unseen real=work_dirs/eval_real
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List, Optional

import cv2
import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from plot_sot_curves import (load_ground_truth, load_results,  # noqa: E402
                             parse_results)

from mmtao.evaluation.functional.eval_got10k import (  # noqa: E402
    got10k_rect_iou, xyxy_to_xywh)

GROUPS = (('small', 0.0, 0.075), ('medium', 0.075, 0.25), ('large', 0.25,
                                                           np.inf))


def size_table(data_root: str, result_dir: str) -> Dict[str, dict]:
    """AO, SR0.5, SR0.75 and frame count per size group and overall."""
    gts = load_ground_truth(data_root)
    ious, rel = [], []
    for seq, gt in gts.items():
        img = cv2.imread(osp.join(data_root, seq, '00000001.jpg'))
        if img is None:
            raise FileNotFoundError(
                f'cannot read {osp.join(data_root, seq, "00000001.jpg")}')
        h, w = img.shape[:2]
        boxes = gt['bboxes']
        pred = load_results(result_dir, seq, len(boxes))
        keep = gt['visible'].copy()
        keep[0] = False
        iou = got10k_rect_iou(
            xyxy_to_xywh(pred[keep]), xyxy_to_xywh(boxes[keep]), (w, h))
        side = np.sqrt(
            np.prod(np.clip(boxes[keep, 2:] - boxes[keep, :2], 0, None), 1))
        ious.append(iou)
        rel.append(side / min(w, h))
    ious, rel = np.concatenate(ious), np.concatenate(rel)
    out = {}
    for name, lo, hi in GROUPS + (('all', 0.0, np.inf), ):
        sel = (rel >= lo) & (rel < hi)
        v = ious[sel]
        out[name] = dict(
            AO=float(v.mean()) if len(v) else float('nan'),
            SR50=float((v > 0.5).mean()) if len(v) else float('nan'),
            SR75=float((v > 0.75).mean()) if len(v) else float('nan'),
            frames=int(sel.sum()))
    return out


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_root', help='folder in GOT-10k layout')
    parser.add_argument(
        '--results', nargs='+', required=True, metavar='NAME=DIR')
    args = parser.parse_args(argv)
    print('| tracker | ' + ' | '.join(
        f'{g} AO (frames)' for g, _, _ in GROUPS) + ' | all AO | all SR0.75 |')
    print('|---' * (len(GROUPS) + 3) + '|')
    for name, path in parse_results(args.results):
        t = size_table(args.data_root, path)
        cells = [f"{t[g]['AO']:.3f} ({t[g]['frames']})" for g, _, _ in GROUPS]
        print(f'| {name} | ' + ' | '.join(cells) +
              f" | {t['all']['AO']:.3f} | {t['all']['SR75']:.3f} |")


if __name__ == '__main__':
    main()
