# Copyright (c) mmtao contributors. All rights reserved.
import torch.distributed as dist

from mmtao.utils.dist import shutdown_dist


def test_shutdown_dist_destroys_the_group_and_is_a_no_op_without_one(
        tmp_path):
    # a 1-process gloo group, as tools/train.py / test.py hold at their end
    dist.init_process_group(
        backend='gloo',
        init_method=f'file://{tmp_path / "store"}',
        rank=0,
        world_size=1)
    assert dist.is_initialized()
    shutdown_dist()
    assert not dist.is_initialized()
    shutdown_dist()  # nothing to destroy: no error
    assert not dist.is_initialized()
