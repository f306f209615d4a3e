# Copyright (c) mmtao contributors. All rights reserved.
import torch
import torch.distributed as torch_dist
from mmengine.config import Config


def init_cpu_dist(launcher: str, cfg: Config) -> None:
    """Start the process group of a ``--launcher pytorch`` run on a machine
    without CUDA.

    mmengine 0.10.7's ``init_dist`` calls ``torch.cuda.set_device`` before
    ``init_process_group`` whatever the backend, which fails on a CPU build
    of torch. The Runner skips its own initialisation when a group exists,
    so starting it here (with ``env_cfg.dist_cfg.backend``, default 'gloo')
    makes CPU-only multi-process training and testing work unchanged (a
    config naming ``nccl``, as the GPU configs do, runs on gloo). The
    Runner's default DDP wrapper also passes ``device_ids=[LOCAL_RANK]``,
    which DDP refuses for CPU modules: unless the config sets its own
    ``model_wrapper_cfg``, one with ``device_ids=None`` is set.

    Args:
        launcher (str): The ``--launcher`` argument.
        cfg (Config): The run's config.
    """
    if launcher != 'pytorch' or torch.cuda.is_available():
        return
    if not torch_dist.is_initialized():
        _init_group(cfg)
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel',
            device_ids=None,
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))


def _init_group(cfg: Config) -> None:
    backend = cfg.get('env_cfg', {}).get('dist_cfg', {}).get(
        'backend', 'gloo')
    if backend == 'nccl':
        # the GPU configs name nccl; the same command must run on CPU
        print('no CUDA device: DDP uses gloo instead of the config\'s nccl',
              flush=True)
        backend = 'gloo'
        cfg.env_cfg.dist_cfg.backend = backend
    torch_dist.init_process_group(backend=backend)


def shutdown_dist() -> None:
    """Destroy the default process group at the end of a successful run.

    Without it, gloo's worker threads still hold work when the interpreter
    shuts down and a rank can abort at exit ("terminate called without an
    active exception", SIGABRT) after its results are written, which makes
    ``torchrun`` report the whole run as failed. Called only after the run
    succeeded: destroying the group while other ranks are still in a
    collective would hang them. A no-op without a process group.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        # every rank past its last collective first: a rank that destroys
        # its group while a peer still talks to it can abort the same way
        torch_dist.barrier()
        torch_dist.destroy_process_group()
