# Copyright (c) mmtao contributors. All rights reserved.
"""Train a tracker (or detector) from an mmtao config with mmengine's Runner.

Same command line as MMDetection's ``tools/train.py``::

    python tools/train.py CONFIG [--work-dir W] [--resume [CKPT]]
        [--cfg-options k=v ...] [--launcher {none,pytorch,slurm,mpi}]
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from mmtao.utils.cli import run_cli, silence_known_warnings  # noqa: E402

silence_known_warnings()  # before mmengine is imported

from mmengine.config import Config  # noqa: E402
from mmengine.registry import RUNNERS  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmtao.utils import (load_checkpoint_file,  # noqa: E402
                         register_all_modules)
from mmtao.utils.config_options import (  # noqa: E402
    CfgOptionsAction, drop_unscheduled_validation, merge_cfg_options)
from mmtao.utils.dist import init_cpu_dist, shutdown_dist  # noqa: E402
from mmtao.utils.video_io import ensure_writable_dir  # noqa: E402
from mmtao.utils.worker_lifetime import \
    install_worker_exit_with_parent  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train an mmtao model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='enable automatically scaling LR.')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or, with no value, from the '
        'latest checkpoint in the work directory')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override settings of the config, key=value pairs, e.g. '
        'train_cfg.max_iters=10 or key="[a,b]" for lists. A top-level '
        '*_root (data_root=DIR) also moves the paths the config derives '
        'from it (data_root + "train/"); keys that are not in the config '
        'are reported')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--debug',
        action='store_true',
        help='show the Python traceback of an error')
    # torch.distributed.launch passes --local-rank (torch>=2.0) or
    # --local_rank (older)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main() -> Runner:
    """Train; returns the Runner (for scripts that inspect the result)."""
    args = parse_args()
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file not found: {args.config}')

    # registers mmdet's and mmtao's modules, default scope 'mmtao'
    register_all_modules(init_default_scope=False)

    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    merge_cfg_options(cfg, args.cfg_options)
    if drop_unscheduled_validation(cfg):
        print('validation is not scheduled (train_cfg.val_interval > the '
              'training length): no val split is read', flush=True)

    # work_dir priority: CLI > config > ./work_dirs/<config name>
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    if args.amp:
        optim_wrapper = cfg.optim_wrapper.type
        if optim_wrapper == 'AmpOptimWrapper':
            print('AMP training is already enabled in your config.')
        else:
            assert optim_wrapper == 'OptimWrapper', (
                '`--amp` is only supported when the optimizer wrapper type is '
                f'`OptimWrapper` but got {optim_wrapper}.')
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'

    if args.auto_scale_lr:
        if 'auto_scale_lr' in cfg and 'enable' in cfg.auto_scale_lr \
                and 'base_batch_size' in cfg.auto_scale_lr:
            cfg.auto_scale_lr.enable = True
        else:
            raise RuntimeError('Can not find "auto_scale_lr" or '
                               '"auto_scale_lr.enable" or '
                               '"auto_scale_lr.base_batch_size" in your'
                               ' configuration file.')

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise FileNotFoundError(
                f'--resume checkpoint not found: {args.resume}')
        # a damaged or diverged checkpoint: one line naming it, not
        # mmengine's zip-reader traceback
        load_checkpoint_file(args.resume)
        cfg.resume = True
        cfg.load_from = args.resume

    ensure_writable_dir(cfg.work_dir)
    # CPU-only DDP (gloo): mmengine's own init needs CUDA
    init_cpu_dist(args.launcher, cfg)
    # DataLoader workers die with this process, even on kill -9
    install_worker_exit_with_parent()

    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    runner.train()
    return runner


if __name__ == '__main__':
    run_cli(main)
    # after a successful run only (run_cli exits on an error)
    shutdown_dist()
