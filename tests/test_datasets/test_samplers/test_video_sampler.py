# Copyright (c) mmtao contributors. All rights reserved.
import numpy as np
import pytest

from mmtao.datasets.samplers import VideoSampler
from mmtao.datasets.samplers import video_sampler as vs_module


class _FakeVideos:
    test_mode = True

    def __init__(self, lengths):
        self.lengths = lengths
        self.num_videos = len(lengths)

    def get_len_per_video(self, v):
        return self.lengths[v]

    def __len__(self):
        return sum(self.lengths)


def _ranks(monkeypatch, lengths, world_size):
    parts = []
    for rank in range(world_size):
        monkeypatch.setattr(
            vs_module, 'get_dist_info', lambda r=rank: (r, world_size))
        parts.append(VideoSampler(_FakeVideos(lengths)))
    return parts


@pytest.mark.parametrize('lengths,world_size,expected_videos', [
    ([10, 10, 10, 10], 2, [[0, 1], [2, 3]]),
    ([30, 5, 5], 2, [[0], [1, 2]]),
    ([3, 4], 1, [[0, 1]]),
    ([5], 3, [[], [0], []]),
])
def test_whole_videos_per_rank(monkeypatch, lengths, world_size,
                               expected_videos):
    parts = _ranks(monkeypatch, lengths, world_size)
    assert [p.video_indices for p in parts] == expected_videos
    starts = np.concatenate([[0], np.cumsum(lengths)])
    for part, videos in zip(parts, expected_videos):
        expected = [i for v in videos for i in range(starts[v], starts[v + 1])]
        assert list(part) == expected and len(part) == len(expected)
    # Concatenated in rank order: every frame once, in dataset order.
    assert sum((list(p) for p in parts), []) == list(range(sum(lengths)))


def test_single_process_on_a_real_dataset(synthetic_world):
    from mmtao.datasets import GOT10kDataset
    ds = GOT10kDataset(data_root=synthetic_world, test_mode=True, pipeline=[])
    sampler = VideoSampler(ds)
    assert list(sampler) == list(range(48))
    with pytest.raises(ValueError, match='test_mode'):
        VideoSampler(GOT10kDataset(data_root=synthetic_world, pipeline=[]))
    with pytest.raises(TypeError, match='num_videos'):
        VideoSampler(list(range(3)))
