# Copyright (c) mmtao contributors. All rights reserved.
"""Fit the IdentityTracker's presence calibration on validation cues.

Reads the per-frame cues ``tools/analysis/track_variants.py`` saved
(``<out>/<variant>_frames.json``, from a validation split: never the split
or benchmark the goals are measured on), fits a logistic regression of
"target present and tracked" (visible, IoU >= 0.5: OxUvA's true positive)
against "target absent" (visible frames tracked wrongly count for neither
rate, so they are left out), picks the score threshold with the highest
geometric mean of OxUvA's TPR and TNR on those frames, and moves the bias
so that this threshold is 0.5. Prints the config dict.

Example::

    python tools/analysis/fit_presence.py work_dirs/variants_seen/full_frames.json \\
        --cues logit_score sim_first sim_now motion
"""
import argparse
import json
from typing import List, Sequence, Tuple

import numpy as np

CUES = ('logit_score', 'sim_first', 'sim_now', 'motion')


def logistic_fit(X: np.ndarray, y: np.ndarray, w: np.ndarray,
                 l2: float = 1e-3, iters: int = 50) -> np.ndarray:
    """Weighted logistic regression by Newton's method; returns
    ``[bias, w_1..w_d]``."""
    A = np.concatenate([np.ones((len(X), 1)), X], 1)
    beta = np.zeros(A.shape[1])
    reg = l2 * np.eye(A.shape[1])
    reg[0, 0] = 0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-A @ beta))
        grad = A.T @ (w * (p - y)) + reg @ beta
        hess = (A * (w * p * (1 - p))[:, None]).T @ A + reg
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-10:
            break
    return beta


def rates(scores: np.ndarray, tracked: np.ndarray, visible: np.ndarray,
          thr: float) -> Tuple[float, float]:
    """OxUvA TPR (visible frames called present with IoU >= 0.5) and TNR
    (absent frames called absent) at a threshold."""
    present = scores >= thr
    tpr = float((present & tracked).sum() / max(visible.sum(), 1))
    tnr = float((~present & ~visible).sum() / max((~visible).sum(), 1))
    return tpr, tnr


def main(argv: Sequence[str] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('frames', help='<variant>_frames.json')
    parser.add_argument('--cues', nargs='+', default=list(CUES),
                        choices=CUES)
    parser.add_argument('--apply', nargs='*', default=[],
                        help='other <variant>_frames.json to report the '
                        'fitted calibration on (not fitted there)')
    args = parser.parse_args(argv)
    rows: List[dict] = json.load(open(args.frames))
    X = np.array([[r[c] for c in args.cues] for r in rows], np.float64)
    visible = np.array([r['visible'] for r in rows])
    tracked = visible & (np.array([r['iou'] for r in rows]) >= 0.5)
    use = tracked | ~visible
    if tracked.sum() == 0 or visible.all():
        raise SystemExit(f'{args.frames}: needs frames tracked with IoU >= '
                         '0.5 and frames with the target absent, got '
                         f'{int(tracked.sum())} and {int((~visible).sum())}')
    y = tracked[use].astype(np.float64)
    # balanced classes: absent frames are few
    w = np.where(y > 0, 0.5 / max(y.sum(), 1), 0.5 / max((1 - y).sum(), 1))
    w = w * len(y)
    beta = logistic_fit(X[use], y, w)
    z = beta[0] + X @ beta[1:]
    p = 1 / (1 + np.exp(-z))
    best = (-1, 0.5)
    for thr in np.unique(np.round(p, 4)):
        tpr, tnr = rates(p, tracked, visible, thr)
        gm = np.sqrt(tpr * tnr)
        if gm > best[0]:
            best = (gm, float(thr))
    thr = best[1]
    # threshold -> 0.5: subtract logit(thr) from the bias
    bias = float(beta[0] - np.log(thr / (1 - thr)))
    p_new = 1 / (1 + np.exp(-(bias + X @ beta[1:])))
    raw = np.array([r.get('score', r['presence']) for r in rows])
    out = dict(
        type='PresenceCalibration',
        cues=list(args.cues),
        weights=[round(float(b), 4) for b in beta[1:]],
        bias=round(bias, 4))
    print(f'{len(rows)} frames: {int(tracked.sum())} tracked (IoU >= 0.5), '
          f'{int(visible.sum() - tracked.sum())} visible but lost, '
          f'{int((~visible).sum())} absent')
    for name, s in (('detector score', raw), ('calibrated', p_new)):
        tpr, tnr = rates(s, tracked, visible, 0.5)
        print(f'{name:>15} at 0.5: TPR {tpr:.4f}  TNR {tnr:.4f}')
    print('presence=' + repr(out))
    for path in args.apply:
        other = json.load(open(path))
        Xo = np.array([[r[c] for c in args.cues] for r in other])
        vis_o = np.array([r['visible'] for r in other])
        trk_o = vis_o & (np.array([r['iou'] for r in other]) >= 0.5)
        p_o = 1 / (1 + np.exp(-(bias + Xo @ beta[1:])))
        raw_o = np.array([r.get('score', r['presence']) for r in other])
        for name, s in (('detector score', raw_o), ('calibrated', p_o)):
            tpr, tnr = rates(s, trk_o, vis_o, 0.5)
            print(f'{path}: {name} at 0.5: TPR {tpr:.4f}  TNR {tnr:.4f}')
    return out


if __name__ == '__main__':
    main()
