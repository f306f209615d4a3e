# Copyright (c) mmtao contributors. All rights reserved.
"""Two gloo processes holding different numbers of frames (whole videos
split across ranks, as VideoSampler does) give the 1-process metrics."""
import os
import socket

import pytest
import torch.distributed as dist
import torch.multiprocessing as mp

from mmtao.registry import METRICS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _worker(rank, port, out_dir, queue):
    from .sot_samples import got_samples
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    samples = got_samples()
    # rank 0 gets video 'a' (4 frames), rank 1 video 'b' (3 frames)
    mine = samples[:4] if rank == 0 else samples[4:]
    metric = METRICS.build(dict(type='GOT10kMetric', outfile_prefix=out_dir))
    for s in mine:
        metric.process({}, [s])
    res = metric.evaluate(len(samples))
    queue.put((rank, res))
    dist.barrier()
    dist.destroy_process_group()


def test_two_ranks_equal_one_rank(tmp_path):
    from .sot_samples import got_samples
    single = METRICS.build(
        dict(type='GOT10kMetric', outfile_prefix=str(tmp_path / 'one')))
    for s in got_samples():
        single.process({}, [s])
    expected = single.evaluate(7)

    # fork: the children inherit the imported modules (spawn re-imports
    # mmdet, ~20 s on 2 cores)
    ctx = mp.get_context('fork')
    queue = ctx.SimpleQueue()
    mp.start_processes(
        _worker,
        args=(_free_port(), str(tmp_path / 'two'), queue),
        nprocs=2,
        join=True,
        start_method='fork')
    results = dict(queue.get() for _ in range(2))
    for rank in (0, 1):
        assert results[rank] == pytest.approx(expected)
    assert expected['got10k/AO'] == pytest.approx(2.35 / 4)
