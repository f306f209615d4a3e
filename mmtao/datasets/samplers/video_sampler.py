# Copyright (c) mmtao contributors. All rights reserved.
from typing import Iterator, List, Sized

import numpy as np
from mmengine.dist import get_dist_info
from torch.utils.data import Sampler

from mmtao.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class VideoSampler(Sampler):
    """Test sampler of SOT datasets: frames in video order, whole videos
    per rank.

    Semantics (deterministic, no shuffling, no padding):

    - Rank ``r`` of ``world_size`` gets a contiguous run of whole videos
      ``[v_r, v_{r+1})`` and yields their frame indices in order: frame 0 of
      its first video, frame 1, ..., then the next video. A tracker sees
      every video from its first frame, uninterrupted, on one process.
    - The split balances *frames*: a video goes to rank
      ``floor(world_size * m / total_frames)``, ``m`` being the dataset
      index of its middle frame, so a rank's frame count differs from
      ``total_frames / world_size`` by at most about one video. With more
      ranks than videos some ranks get nothing.
    - Every frame is yielded exactly once over all ranks, so ranks may yield
      different numbers of frames. Results must therefore be gathered by
      concatenating the ranks' parts in rank order (or by sorting on
      ``(video_id, frame_id)``), not with mmengine's default interleaving
      ``collect_results``.

    The dataset must be a test-mode :class:`~mmtao.datasets.BaseSOTDataset`
    (or provide ``num_videos`` and ``get_len_per_video``, with test indices
    ordered video by video).

    Args:
        dataset (Sized): The dataset.
        seed (int, optional): Unused (there is no randomness); accepted so
            that configs written for ``DefaultSampler`` work.
    """

    def __init__(self, dataset: Sized, seed=None) -> None:
        for attr in ('num_videos', 'get_len_per_video'):
            if not hasattr(dataset, attr):
                raise TypeError(
                    f'VideoSampler needs a dataset with {attr!r} (a '
                    f'BaseSOTDataset), got {type(dataset).__name__}')
        if not getattr(dataset, 'test_mode', True):
            raise ValueError('VideoSampler orders frames and needs the '
                             'dataset in test mode (test_mode=True)')
        self.dataset = dataset
        self.rank, self.world_size = get_dist_info()
        lengths = np.array(
            [dataset.get_len_per_video(v) for v in range(dataset.num_videos)],
            dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(lengths)])
        total = max(int(starts[-1]), 1)
        # Rank of a video: the share its middle frame falls into.
        owner = np.floor((starts[:-1] + lengths / 2) * self.world_size /
                         total).astype(np.int64)
        mine = np.flatnonzero(owner == self.rank)
        first = int(mine[0]) if len(mine) else 0
        last = int(mine[-1]) + 1 if len(mine) else 0
        self.video_indices: List[int] = list(range(first, last))
        self.indices: List[int] = list(
            range(int(starts[first]), int(starts[last])))

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)

    def set_epoch(self, epoch: int) -> None:
        """No randomness: nothing depends on the epoch."""
