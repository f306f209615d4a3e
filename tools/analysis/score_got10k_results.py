# Copyright (c) mmtao contributors. All rights reserved.
"""Score trackers' GOT-10k result folders: AO, SR, presence TPR / TNR,
and seen vs unseen target identities.

Reads a GOT-10k-layout folder and, per tracker, its result files
(``DIR/<seq>/<seq>_001.txt``, optional ``<seq>_001_confidence.value``; as
written by ``tools/test.py`` with ``GOT10kMetric`` and by
``tools/analysis/run_opencv_tracker.py``). AO / SR0.5 / SR0.75 are
:func:`mmtao.evaluation.functional.eval_got10k` (the numbers ``tools/test.py``
prints); TPR / TNR are OxUvA's (:func:`assess_frames`) over the frames after
the first, with *present* = confidence >= ``--presence-threshold``.

With ``--train-world`` (a world folder with ``annotations/identities.json``)
each sequence of an any-object world is labelled *seen* when its target
identity (``meta_info.ini``: ``sprite``) appears anywhere in that training
world, else *unseen*, and the scores are given for both groups. Example::

    python tools/analysis/score_got10k_results.py data/world/val_seen \\
        --results ours=work_dirs/eval_seen csrt=work_dirs/csrt_seen \\
        --train-world data/world/train
"""
import argparse
import configparser
import os.path as osp
import re
import sys
from typing import Dict, List, Optional

import cv2
import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from plot_sot_curves import (load_ground_truth, load_results,  # noqa: E402
                             parse_results)

from mmtao.datasets.synthetic import identities_of  # noqa: E402
from mmtao.evaluation.functional import eval_got10k  # noqa: E402
from mmtao.evaluation.functional.eval_oxuva import (  # noqa: E402
    assess_frames, oxuva_quality)


def target_identity(seq_dir: str) -> Optional[str]:
    """``<pool>_<index>`` of a sequence's target, from ``meta_info.ini``."""
    path = osp.join(seq_dir, 'meta_info.ini')
    if not osp.isfile(path):
        return None
    meta = configparser.ConfigParser()
    meta.read(path)
    m = re.match(r'^(train|val)_(\d+)_', meta['METAINFO'].get('sprite', ''))
    return f'{m.group(1)}_{m.group(2)}' if m else None


def image_size(data_root: str, seq: str) -> tuple:
    """(width, height) of a sequence's first frame."""
    path = osp.join(data_root, seq, '00000001.jpg')
    img = cv2.imread(path)
    if img is None:
        raise FileNotFoundError(f'cannot read {path}')
    return img.shape[1], img.shape[0]


def score(result_dir: str, gts: Dict[str, dict], seqs: List[str],
          presence_threshold: float) -> Dict[str, float]:
    preds = [load_results(result_dir, s, len(gts[s]['bboxes'])) for s in seqs]
    res = eval_got10k(
        preds, [gts[s]['bboxes'] for s in seqs],
        [gts[s]['visible'] for s in seqs],
        image_sizes=[gts[s]['img_size'] for s in seqs])
    out = {k: res[k] for k in ('AO', 'SR0.5', 'SR0.75')}
    counts = dict(TP=0, FN=0, TN=0, FP=0)
    have_conf = True
    for seq, pred in zip(seqs, preds):
        path = osp.join(result_dir, seq, f'{seq}_001_confidence.value')
        if not osp.isfile(path):
            have_conf = False
            break
        conf = np.loadtxt(path, ndmin=1)
        if len(conf) != len(pred):
            raise ValueError(f'{path}: {len(conf)} values for {len(pred)} '
                             'frames')
        gt = gts[seq]
        flags = assess_frames(pred[1:], conf[1:] >= presence_threshold,
                              np.nan_to_num(gt['bboxes'][1:]),
                              gt['visible'][1:], gt['img_size'])
        for k in counts:
            counts[k] += int(flags[k].sum())
    if have_conf:
        q = oxuva_quality(**{k.lower(): v for k, v in counts.items()})
        out.update(TPR=q['TPR'], TNR=q['TNR'])
    return out


def main(argv: Optional[List[str]] = None) -> Dict[str, Dict[str, dict]]:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_root', help='GOT-10k layout folder')
    parser.add_argument(
        '--results',
        nargs='+',
        required=True,
        metavar='NAME=DIR',
        help='result folders to score')
    parser.add_argument(
        '--presence-threshold',
        type=float,
        default=0.5,
        help='confidence >= this counts as "present"')
    parser.add_argument(
        '--train-world',
        help='training world folder: split sequences into seen / unseen '
        'target identities')
    args = parser.parse_args(argv)
    gts = load_ground_truth(args.data_root)
    for seq in gts:
        gts[seq]['img_size'] = image_size(args.data_root, seq)
    groups = {'all': sorted(gts)}
    if args.train_world:
        seen_ids = set(identities_of(args.train_world))
        ids = {s: target_identity(osp.join(args.data_root, s)) for s in gts}
        groups['seen'] = [s for s in groups['all'] if ids[s] in seen_ids]
        groups['unseen'] = [s for s in groups['all'] if ids[s] not in seen_ids]
    table = {}
    print(f'{"tracker":<14}{"group":<8}{"seqs":>5}{"AO":>8}{"SR0.5":>8}'
          f'{"SR0.75":>8}{"TPR":>8}{"TNR":>8}')
    for name, result_dir in parse_results(args.results):
        table[name] = {}
        for group, seqs in groups.items():
            if not seqs:
                continue
            s = score(result_dir, gts, seqs, args.presence_threshold)
            table[name][group] = s
            print(f'{name:<14}{group:<8}{len(seqs):>5}{s["AO"]:>8.3f}'
                  f'{s["SR0.5"]:>8.3f}{s["SR0.75"]:>8.3f}'
                  f'{s.get("TPR", float("nan")):>8.3f}'
                  f'{s.get("TNR", float("nan")):>8.3f}')
    return table


if __name__ == '__main__':
    main()
