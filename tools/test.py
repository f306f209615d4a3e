# Copyright (c) mmtao contributors. All rights reserved.
"""Test (evaluate) a checkpoint with mmengine's Runner.

Same command line as MMDetection's ``tools/test.py``::

    python tools/test.py CONFIG CHECKPOINT [--work-dir W] [--out R.pkl]
        [--show-dir D] [--cfg-options k=v ...] [--launcher ...]
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

from mmtao.utils import (check_checkpoint_matches,  # noqa: E402
                         register_all_modules, setup_allocator,
                         setup_num_threads)
from mmtao.utils.config_options import (  # noqa: E402
    CfgOptionsAction, merge_cfg_options)
from mmtao.utils.dist import init_cpu_dist, shutdown_dist  # noqa: E402
from mmtao.utils.run_lock import RunLock  # noqa: E402
from mmtao.utils.video_io import ensure_writable_dir  # noqa: E402
from mmtao.utils.worker_lifetime import \
    install_worker_exit_with_parent  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test an mmtao model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir',
        help='the directory to save the file containing evaluation metrics')
    parser.add_argument(
        '--out',
        type=str,
        help='dump predictions to a pickle file for offline evaluation')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='directory where painted images will be saved. '
        'If specified, it will be automatically saved '
        'to the work_dir/timestamp/show_dir')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override settings of the config, key=value pairs, e.g. '
        'test_dataloader.dataset.data_root=DIR, or data_root=DIR to move '
        'every path the config derives from it; keys that are not in the '
        'config are reported')
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='torch CPU threads per process. Default: OMP_NUM_THREADS, else '
        'mmtao.utils.setup_num_threads\'s rule (1 on machines with 2 cores '
        'or fewer or little free CPU; README "Threads")')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--debug',
        action='store_true',
        help='show the Python traceback of an error')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def trigger_visualization_hook(cfg: Config,
                               args: argparse.Namespace) -> Config:
    default_hooks = cfg.get('default_hooks', {})
    if 'visualization' not in default_hooks:
        raise RuntimeError(
            'VisualizationHook must be included in default_hooks of the '
            'config to use --show or --show-dir')
    visualization_hook = default_hooks['visualization']
    visualization_hook['draw'] = True
    if args.show:
        visualization_hook['show'] = True
        visualization_hook['wait_time'] = args.wait_time
    if args.show_dir:
        visualization_hook['test_out_dir'] = args.show_dir
    return cfg


def main() -> None:
    args = parse_args()
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file not found: {args.config}')
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(
            f'checkpoint file not found: {args.checkpoint}')

    register_all_modules(init_default_scope=False)
    setup_num_threads(args.threads)
    setup_allocator()

    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--out {args.out}: expected a .pkl file name')
        ensure_writable_dir(osp.dirname(osp.abspath(args.out)))

    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    merge_cfg_options(cfg, args.cfg_options)

    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)

    ensure_writable_dir(cfg.work_dir)
    # two runs sharing a work dir would mix their logs and result files
    lock = None
    if os.environ.get('RANK', os.environ.get('LOCAL_RANK', '0')) == '0':
        lock = RunLock(
            osp.join(cfg.work_dir, '.tools_test.lock'),
            f'--work-dir {cfg.work_dir}',
            'give each tools/test.py run its own --work-dir')
    # CPU-only DDP (gloo): mmengine's own init needs CUDA
    init_cpu_dist(args.launcher, cfg)
    # DataLoader workers die with this process, even on kill -9
    install_worker_exit_with_parent()

    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)

    # A checkpoint of another model loads "successfully" with every key
    # missing; refuse it here with a message that names the file.
    check_checkpoint_matches(
        runner.model, args.checkpoint, config_name=args.config)

    # A bad annotation line in the last video must stop the run before the
    # first frame is tracked, not inside a worker hours later.
    dataset = runner.test_loop.dataloader.dataset
    if hasattr(dataset, 'check_annotations'):
        print(f'checked the annotations of {dataset.check_annotations()} '
              'videos', flush=True)

    if args.out is not None:
        runner.test_evaluator.metrics.append(
            _dump_metric(out_file_path=args.out))

    runner.test()
    if lock is not None:
        lock.release()


def _dump_metric(out_file_path: str):
    from mmengine.evaluator import DumpResults
    return DumpResults(out_file_path=out_file_path)


if __name__ == '__main__':
    run_cli(main)
    # after a successful run only (run_cli exits on an error)
    shutdown_dist()
