# Copyright (c) mmtao contributors. All rights reserved.
import itertools

import numpy as np
import pytest
from torch.utils.data import ConcatDataset, Dataset

from mmtao.datasets.samplers.mixed_batch_sampler import MixedBatchSampler


class _Range(Dataset):

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        return i


def _concat() -> ConcatDataset:
    # source 0: detection (10), sources 1 and 2: tracking (6 and 30)
    return ConcatDataset([_Range(10), _Range(6), _Range(30)])


def _batches(sampler, num_batches):
    it = iter(sampler)
    flat = list(itertools.islice(it, num_batches * sampler.batch_size))
    return np.array(flat).reshape(num_batches, sampler.batch_size)


def test_exact_fraction_per_batch_and_weights():
    ds = _concat()
    sampler = MixedBatchSampler(
        ds, batch_size=4, track_fraction=0.5, track_sources=[1, 2], seed=0)
    batches = _batches(sampler, 600)
    is_track = batches >= 10
    # exactly 2 tracking and 2 detection samples in every batch
    assert (is_track.sum(1) == 2).all()
    # within tracking, sources drawn by size: 6 / 36 and 30 / 36
    track = batches[is_track]
    frac_small = np.mean(track < 16)
    assert abs(frac_small - 6 / 36) < 0.03
    # every detection index comes once per pass (permutation)
    det = batches[~is_track]  # in the order they were yielded
    for p in range(3):
        assert sorted(det[10 * p:10 * (p + 1)].tolist()) == list(range(10))


def test_weights_fraction_zero_one_and_determinism():
    ds = _concat()
    s = MixedBatchSampler(
        ds, batch_size=3, track_fraction=1 / 3, track_sources=[1, 2],
        source_weights=[1, 1, 1], seed=5)
    b = _batches(s, 2000)
    assert ((b >= 10).sum(1) == 1).all()
    # equal weights: the 6-video dataset gets half the tracking slots
    assert abs(np.mean(b[b >= 10] < 16) - 0.5) < 0.04
    # same seed, same stream; other seed, other stream
    again = MixedBatchSampler(
        ds, batch_size=3, track_fraction=1 / 3, track_sources=[1, 2],
        source_weights=[1, 1, 1], seed=5)
    assert np.array_equal(_batches(again, 50), b[:50])
    other = MixedBatchSampler(
        ds, batch_size=3, track_fraction=1 / 3, track_sources=[1, 2],
        source_weights=[1, 1, 1], seed=6)
    assert not np.array_equal(_batches(other, 50), b[:50])
    only_det = MixedBatchSampler(
        ds, batch_size=2, track_fraction=0., track_sources=[1, 2], seed=0)
    assert (_batches(only_det, 50) < 10).all()
    only_track = MixedBatchSampler(
        ds, batch_size=2, track_fraction=1., track_sources=[1, 2], seed=0)
    assert (_batches(only_track, 50) >= 10).all()


def test_bad_configuration_is_named():
    ds = _concat()
    with pytest.raises(TypeError, match='ConcatDataset'):
        MixedBatchSampler(_Range(4), 2, 0.5, [0])
    with pytest.raises(ValueError, match='track_fraction'):
        MixedBatchSampler(ds, 2, 1.5, [1])
    with pytest.raises(ValueError, match='track_sources'):
        MixedBatchSampler(ds, 2, 0.5, [3])
    with pytest.raises(ValueError, match='no non-empty detection'):
        MixedBatchSampler(ds, 2, 0.5, [0, 1, 2])
    with pytest.raises(ValueError, match='source_weights'):
        MixedBatchSampler(ds, 2, 0.5, [1], source_weights=[1, 1])
    with pytest.raises(ValueError, match='batch_size'):
        MixedBatchSampler(ds, 0, 0.5, [1])
