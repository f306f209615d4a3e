# Copyright (c) mmtao contributors. All rights reserved.
import itertools
import math

import numpy as np
import pytest
import torch

from mmtao.models.trackers import (MotionPrior, PresenceCalibration,
                                   exclusive_assignment, greedy_assignment)


def test_motion_prior_by_hand_and_relaxes_while_lost():
    prior = MotionPrior(sigma=1.0, growth=0.5, max_sigma=3.0, floor=0.2)
    prior.reset(torch.tensor([0., 0., 10., 40.]))  # centre (5, 20), size 20
    cands = torch.tensor([[0., 0., 10., 40.], [20., 0., 30., 40.],
                          [40., 0., 50., 40.]])  # 0, 1 and 2 sizes away
    expected = [0.2 + 0.8 * math.exp(-0.5 * d**2) for d in (0, 1, 2)]
    torch.testing.assert_close(prior.factor(cands), torch.tensor(expected))
    # lost for 2 frames: sigma 2; capped at 3
    prior.update(None, confident=False)
    prior.update(cands[2], confident=False)
    assert prior.width() == 2.0
    expected = [0.2 + 0.8 * math.exp(-0.5 * (d / 2)**2) for d in (0, 1, 2)]
    torch.testing.assert_close(prior.factor(cands), torch.tensor(expected))
    for _ in range(10):
        prior.update(None, False)
    assert prior.width() == 3.0
    # a confident box moves it and resets the width
    prior.update(cands[2], confident=True)
    assert prior.width() == 1.0 and float(prior.factor(cands[2:])[0]) == 1.
    with pytest.raises(ValueError, match='floor'):
        MotionPrior(floor=1.5)


def test_motion_prior_size_term_by_hand():
    prior = MotionPrior(sigma=1.0, growth=0.5, floor=0.2, scale_sigma=0.5)
    prior.reset(torch.tensor([0., 0., 10., 40.]))  # centre (5, 20), size 20
    # same centre: the object, a quarter of it (size 10), a box 4x its area
    cands = torch.tensor([[0., 0., 10., 40.], [2.5, 10., 7.5, 30.],
                          [-5., -20., 15., 60.]])
    expected = [
        0.2 + 0.8 * math.exp(-0.5 * (math.log(r) / 0.5)**2)
        for r in (1., 0.5, 2.)
    ]
    torch.testing.assert_close(prior.factor(cands), torch.tensor(expected))
    # 1 size away and half the size: both terms multiply under the floor
    far_part = torch.tensor([[22.5, 10., 27.5, 30.]])
    both = math.exp(-0.5) * math.exp(-0.5 * (math.log(0.5) / 0.5)**2)
    torch.testing.assert_close(
        prior.factor(far_part), torch.tensor([0.2 + 0.8 * both]))
    # lost for 2 frames: distance width 2, size width 0.5 * 2 / 1
    prior.update(None, confident=False)
    prior.update(None, confident=False)
    expected = 0.2 + 0.8 * math.exp(-0.5 * (math.log(0.5) / 1.0)**2)
    torch.testing.assert_close(
        prior.factor(cands[1:2]), torch.tensor([expected]))
    assert 'scale_sigma=0.5' in repr(prior)
    with pytest.raises(ValueError, match='scale_sigma'):
        MotionPrior(scale_sigma=0.)


def brute_force(bboxes, scores, iou_thr):
    """All ways to give objects distinct candidates (or none) whose boxes
    pairwise overlap < iou_thr; the best sum, then fewest Nones."""
    from mmdet.structures.bbox import bbox_overlaps
    options = [list(range(len(b))) + [None] for b in bboxes]
    best, best_val = None, None
    for combo in itertools.product(*options):
        chosen = [(k, i) for k, i in enumerate(combo) if i is not None]
        ok = True
        for (k, i), (l, j) in itertools.combinations(chosen, 2):
            if float(bbox_overlaps(bboxes[k][i:i + 1],
                                   bboxes[l][j:j + 1])) >= iou_thr:
                ok = False
        if not ok:
            continue
        val = (sum(float(scores[k][i]) for k, i in chosen), len(chosen))
        if best_val is None or val > best_val:
            best, best_val = combo, val
    return list(best), best_val


@pytest.mark.parametrize('seed', range(6))
def test_exclusive_assignment_is_the_best_distinct_choice(seed):
    """Candidates are jittered copies of a few places (the usual case: an
    object's candidates at places far apart); the assignment equals an
    exhaustive search for the best sum with distinct places."""
    rng = np.random.default_rng(seed)
    places = np.array([[0, 0, 10, 10], [30, 0, 40, 10], [0, 30, 10, 40],
                       [30, 30, 40, 40]], np.float32)
    bboxes, scores = [], []
    for k in range(3):
        n = int(rng.integers(0, 4))
        idx = rng.choice(4, n, replace=False)
        b = places[idx] + rng.uniform(-0.5, 0.5, (n, 4)).astype(np.float32)
        bboxes.append(torch.from_numpy(b).reshape(-1, 4))
        scores.append(torch.from_numpy(rng.uniform(0, 1, n)).float())
    got = exclusive_assignment(bboxes, scores, 0.5)
    ref, (ref_sum, _) = brute_force(bboxes, scores, 0.5)
    got_sum = sum(float(scores[k][i]) for k, i in enumerate(got)
                  if i is not None)
    assert got_sum == pytest.approx(ref_sum, abs=1e-6)
    chosen = [(k, i) for k, i in enumerate(got) if i is not None]
    from mmdet.structures.bbox import bbox_overlaps
    for (k, i), (l, j) in itertools.combinations(chosen, 2):
        assert float(bbox_overlaps(bboxes[k][i:i + 1],
                                   bboxes[l][j:j + 1])) < 0.5


def test_two_tracks_on_one_object_are_separated():
    a = torch.tensor([[0., 0., 10., 10.], [50., 50., 60., 60.]])
    # both objects score the first place best; object 1 is surer of it
    out = exclusive_assignment([a, a.clone()],
                               [torch.tensor([0.6, 0.5]),
                                torch.tensor([0.9, 0.1])])
    assert out == [1, 0]
    # no conflict: each its own best (no solve)
    assert exclusive_assignment([a, a.flip(0)], [torch.tensor([0.9, 0.1]),
                                                 torch.tensor([0.9, 0.1])
                                                 ]) == [0, 0]
    # one place for two objects: the weaker gets none
    one = a[:1]
    assert exclusive_assignment([one, one], [torch.tensor([0.4]),
                                             torch.tensor([0.7])]) == [None, 0]
    assert exclusive_assignment([a[:0], a[:0]], [torch.zeros(0)] * 2) == [
        None, None
    ]


def test_greedy_assignment_keeps_the_confident_object_in_place():
    p, q = [0., 0., 10., 10.], [50., 50., 60., 60.]
    a = torch.tensor([p, q])
    b = torch.tensor([p])
    # object 0 is surer of place p (0.9) than object 1 (0.8); the best sum
    # moves object 0 to its second place q, greedy keeps it on p
    scores = [torch.tensor([0.9, 0.85]), torch.tensor([0.8])]
    assert exclusive_assignment([a, b], scores) == [1, 0]
    assert greedy_assignment([a, b], scores) == [0, None]
    # no conflict: each its own best; nothing to assign: None
    assert greedy_assignment([a, a.flip(0)], [torch.tensor([0.9, 0.1])] *
                             2) == [0, 0]
    assert greedy_assignment([a[:0], b], [torch.zeros(0),
                                          torch.tensor([0.3])]) == [None, 0]


@pytest.mark.parametrize('seed', range(4))
def test_greedy_assignment_by_hand_order(seed):
    """Chosen boxes never overlap (IoU >= 0.5) and each object's pick is
    its best candidate among those not blocked by a more confident pick."""
    from mmdet.structures.bbox import bbox_overlaps
    rng = np.random.default_rng(seed)
    places = np.array([[0, 0, 10, 10], [30, 0, 40, 10], [0, 30, 10, 40]],
                      np.float32)
    bboxes, scores = [], []
    for _ in range(3):
        idx = rng.choice(3, int(rng.integers(1, 4)), replace=False)
        bboxes.append(torch.from_numpy(places[idx]))
        scores.append(torch.from_numpy(rng.uniform(0, 1, len(idx))).float())
    got = greedy_assignment(bboxes, scores, 0.5)
    chosen = [(float(scores[k][i]), k, i) for k, i in enumerate(got)
              if i is not None]
    for (_, k, i), (_, l, j) in itertools.combinations(chosen, 2):
        assert float(bbox_overlaps(bboxes[k][i:i + 1],
                                   bboxes[l][j:j + 1])) < 0.5
    for k in range(3):
        more = [(k2, i2) for s2, k2, i2 in chosen
                if k2 != k and (got[k] is None or s2 > float(
                    scores[k][got[k]]))]
        free = [i for i in range(len(bboxes[k])) if all(
            float(bbox_overlaps(bboxes[k][i:i + 1],
                                bboxes[k2][i2:i2 + 1])) < 0.5
            for k2, i2 in more)]
        if got[k] is None:
            assert not free
        else:
            assert got[k] == max(free, key=lambda i: float(scores[k][i]))


def test_presence_calibration_is_the_logistic_by_hand():
    cal = PresenceCalibration(cues=['logit_score', 'sim_first'],
                              weights=[1.5, 2.0], bias=-1.0)
    c = torch.tensor([0.3, 0.8])
    sim = torch.tensor([0.1, 0.9])
    got = cal(dict(logit_score=torch.log(c / (1 - c)), sim_first=sim))
    z = -1.0 + 1.5 * np.log(c.numpy() / (1 - c.numpy())) + 2.0 * sim.numpy()
    np.testing.assert_allclose(got.numpy(), 1 / (1 + np.exp(-z)), rtol=1e-6)
    with pytest.raises(ValueError, match='cues'):
        PresenceCalibration(cues=['colour'], weights=[1.], bias=0.)
