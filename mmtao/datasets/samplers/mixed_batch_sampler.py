# Copyright (c) mmtao contributors. All rights reserved.
from typing import Iterator, List, Optional, Sequence, Sized

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from mmtao.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class MixedBatchSampler(Sampler):
    """Infinite sampler that mixes detection and tracking samples per batch.

    Joint training (Sec. 3.3 / 4.3 of the paper) feeds every iteration both
    detection images (COCO, class-specific heads, attention off) and tracking
    pairs (class-agnostic heads, attention on). The training dataset is a
    ``ConcatDataset`` of detection and tracking datasets; this sampler yields
    its indices so that each run of ``batch_size`` consecutive indices (one
    batch, with mmengine's default batch sampler) holds exactly
    ``round(batch_size * track_fraction)`` tracking samples, the rest
    detection samples. Inside each group, the sub-dataset of every slot is
    drawn at random with probability proportional to ``source_weights``
    (default: the sub-datasets' sizes), and each sub-dataset is walked
    through a fresh random permutation per pass (every sample once per pass).

    Like mmdet's ``MultiSourceSampler`` (which fixes integer counts per
    source) it is infinite and deterministic given ``seed``; with several
    ranks every rank draws its own stream from ``seed + rank``.

    Args:
        dataset (Sized): A ``ConcatDataset`` (``datasets``,
            ``cumulative_sizes``).
        batch_size (int): Samples per batch on this rank (must equal the
            dataloader's ``batch_size``).
        track_fraction (float): Fraction of tracking samples per batch, in
            [0, 1].
        track_sources (Sequence[int]): Indices in ``dataset.datasets`` of
            the tracking datasets; the others are detection datasets.
        source_weights (Sequence[float], optional): Relative sampling
            weight of each sub-dataset within its group. Defaults to None
            (proportional to size).
        shuffle (bool): Random order inside each sub-dataset. Defaults to
            True.
        seed (int, optional): Random seed; None syncs one across ranks.
    """

    def __init__(self,
                 dataset: Sized,
                 batch_size: int,
                 track_fraction: float,
                 track_sources: Sequence[int],
                 source_weights: Optional[Sequence[float]] = None,
                 shuffle: bool = True,
                 seed: Optional[int] = None) -> None:
        if not hasattr(dataset, 'cumulative_sizes') or not hasattr(
                dataset, 'datasets'):
            raise TypeError('MixedBatchSampler needs a ConcatDataset of '
                            'detection and tracking datasets, got '
                            f'{type(dataset).__name__}')
        if not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(
                f'batch_size must be a positive int, got {batch_size!r}')
        if not 0. <= float(track_fraction) <= 1.:
            raise ValueError(
                f'track_fraction must be in [0, 1], got {track_fraction!r}')
        num_sources = len(dataset.datasets)
        track_sources = sorted(set(int(s) for s in track_sources))
        if any(not 0 <= s < num_sources for s in track_sources):
            raise ValueError(
                f'track_sources {track_sources} must index the '
                f'{num_sources} datasets of the ConcatDataset')
        det_sources = [s for s in range(num_sources) if s not in track_sources]
        sizes = [len(d) for d in dataset.datasets]
        if source_weights is None:
            source_weights = sizes
        if len(source_weights) != num_sources or any(
                w < 0 for w in source_weights):
            raise ValueError(
                f'source_weights must hold {num_sources} non-negative '
                f'numbers, got {source_weights!r}')

        self.num_track = int(round(batch_size * float(track_fraction)))
        self.num_det = batch_size - self.num_track
        self.groups = []
        for name, sources, num in (('tracking', track_sources,
                                    self.num_track),
                                   ('detection', det_sources, self.num_det)):
            if num == 0:
                continue
            w = np.array([source_weights[s] * (sizes[s] > 0)
                          for s in sources], dtype=np.float64)
            if len(sources) == 0 or w.sum() <= 0:
                raise ValueError(
                    f'MixedBatchSampler: {num} {name} samples per batch are '
                    f'asked for (track_fraction={track_fraction}, '
                    f'batch_size={batch_size}) but no non-empty {name} '
                    f'dataset with positive weight is given (track_sources='
                    f'{track_sources}, sizes={sizes})')
            self.groups.append((list(sources), w / w.sum(), num))

        self.dataset = dataset
        self.batch_size = batch_size
        self.track_fraction = float(track_fraction)
        self.sizes = sizes
        self.offsets = [0] + list(dataset.cumulative_sizes[:-1])
        self.shuffle = shuffle
        self.rank, self.world_size = get_dist_info()
        self.seed = sync_random_seed() if seed is None else seed

    def _source_stream(self, source: int,
                       rng: np.random.Generator) -> Iterator[int]:
        """Global indices of one sub-dataset, pass after pass."""
        n = self.sizes[source]
        while True:
            order = rng.permutation(n) if self.shuffle else np.arange(n)
            for i in order:
                yield self.offsets[source] + int(i)

    def __iter__(self) -> Iterator[int]:
        rng = np.random.default_rng(self.seed + self.rank)
        streams = {
            s: self._source_stream(s, np.random.default_rng(
                [self.seed, self.rank, s]))
            for sources, _, _ in self.groups for s in sources
        }
        while True:
            batch: List[int] = []
            for sources, probs, num in self.groups:
                picks = rng.choice(len(sources), size=num, p=probs)
                batch.extend(next(streams[sources[p]]) for p in picks)
            yield from batch

    def __len__(self) -> int:
        # infinite, like mmengine's InfiniteSampler: the loop counts iters
        return len(self.dataset)

    def set_epoch(self, epoch: int) -> None:
        """Not used by an infinite sampler; kept for the Runner's API."""
