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
world, else *unseen*, and the scores are given for both groups.

With ``--per-sequence BASE`` every other tracker's AO is compared with the
tracker named ``BASE`` sequence by sequence (``eval_got10k``'s ``seq_wise``):
the sequences more than ``--margin`` better and worse (issue 19's "no
sequence more than 0.05 worse"). Example::

    python tools/analysis/score_got10k_results.py data/world/val_seen \\
        --results ours=work_dirs/eval_seen csrt=work_dirs/csrt_seen \\
        --train-world data/world/train
    python tools/analysis/score_got10k_results.py data/world/val_unseen \\
        --results paper=work_dirs/paper_unseen ours=work_dirs/ours_unseen \\
        --per-sequence paper
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
        image_sizes=[gts[s]['img_size'] for s in seqs],
        video_names=seqs)
    out = {k: res[k] for k in ('AO', 'SR0.5', 'SR0.75')}
    out['seq_AO'] = {s: v['AO'] for s, v in res['seq_wise'].items()}
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
    parser.add_argument(
        '--per-sequence',
        metavar='BASE',
        help='compare every tracker\'s per-sequence AO with this one')
    parser.add_argument(
        '--margin',
        type=float,
        default=0.05,
        help='--per-sequence: count sequences more than this better / worse')
    args = parser.parse_args(argv)
    results = parse_results(args.results)
    if args.per_sequence and args.per_sequence not in dict(results):
        parser.error(f'--per-sequence {args.per_sequence}: no such tracker '
                     f'in --results ({", ".join(n for n, _ in results)})')
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
    for name, result_dir in results:
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
    if args.per_sequence:
        compare_sequences(table, args.per_sequence, args.margin)
    return table


def compare_sequences(table: Dict[str, Dict[str, dict]], base: str,
                      margin: float) -> None:
    """Per-sequence AO of every tracker against ``base`` (all sequences);
    adds ``better`` / ``worse`` (sequence -> AO difference beyond
    ``margin``) to each tracker's ``all`` entry."""
    base_ao = table[base]['all']['seq_AO']
    for name, groups in table.items():
        if name == base:
            continue
        diff = {s: ao - base_ao[s] for s, ao in groups['all']['seq_AO'].items()
                if not (np.isnan(ao) or np.isnan(base_ao[s]))}
        groups['all']['better'] = {
            s: d for s, d in diff.items() if d > margin}
        groups['all']['worse'] = {s: d for s, d in diff.items() if d < -margin}
        print(f'\n{name} vs {base}: {len(groups["all"]["better"])} of '
              f'{len(diff)} sequences more than {margin} better, '
              f'{len(groups["all"]["worse"])} more than {margin} worse')
        for s in sorted(diff, key=diff.get):
            print(f'  {s:<24}{base_ao[s]:>8.3f}{base_ao[s] + diff[s]:>8.3f}'
                  f'{diff[s]:>+8.3f}')


if __name__ == '__main__':
    main()
