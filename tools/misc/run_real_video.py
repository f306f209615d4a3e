# Copyright (c) mmtao contributors. All rights reserved.
"""Run an mmtao tracker config on the real-video benchmark.

Takes any tracking config (and its ``--cfg-options``: ablations run
unchanged), swaps its test set for ``OxUvADataset`` on the benchmark's
frames (``tools/misc/prepare_real_video.py``) and its evaluator for
``OxUvAMetric`` (keyframes only), keeps the config's test pipeline (its
input size), writes the merged config to ``WORK_DIR/real_video_config.py``
and runs ``tools/test.py`` on it. The predictions land in
``WORK_DIR/oxuva/<video>_<object>.csv``; score them with
``tools/analysis/score_real_video.py``::

    OMP_NUM_THREADS=1 python tools/misc/run_real_video.py \\
        configs/tao/tao_mbv2-fpn_320_any-object.py \\
        checkpoints/tao_mbv2-fpn_320_any-object_fp16.pth \\
        --work-dir work_dirs/rv_ours [--cfg-options KEY=VALUE ...]
    python tools/analysis/score_real_video.py --results ours=work_dirs/rv_ours
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
from typing import List, Optional

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def subset_annotations(data_root: str, tasks: List[str], out: str) -> str:
    """Copy the rows of ``tasks`` (``<video>_<object>`` names) of
    ``data_root``'s ``tasks/dev.csv`` and ``annotations/dev.csv`` to
    ``out``; returns the new tasks file."""
    import csv
    wanted, found = set(tasks), set()
    for name in ('tasks', 'annotations'):
        with open(osp.join(data_root, name, 'dev.csv'), newline='') as f:
            rows = [r for r in csv.reader(f) if r]
        keep = [r for r in rows if f'{r[0]}_{r[1]}' in wanted]
        found |= {f'{r[0]}_{r[1]}' for r in keep}
        os.makedirs(osp.join(out, name), exist_ok=True)
        with open(osp.join(out, name, 'dev.csv'), 'w', newline='') as f:
            csv.writer(f).writerows(keep)
    if wanted - found:
        raise ValueError(f'--tasks: no task {sorted(wanted - found)} in '
                         f'{data_root}/tasks/dev.csv')
    return osp.abspath(osp.join(out, 'tasks', 'dev.csv'))


def real_video_config(config: str,
                      data_root: str,
                      work_dir: str,
                      ann_file: Optional[str] = None):
    """``config`` with the benchmark as its test set and evaluator
    (``ann_file``: an absolute tasks file of a subset of the tasks)."""
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    loader = cfg.get('test_dataloader')
    if loader is None or 'dataset' not in loader:
        raise ValueError(f'{config}: no test_dataloader.dataset to replace')
    pipeline = loader['dataset'].get('pipeline', cfg.get('test_pipeline'))
    if pipeline is None:
        raise ValueError(f'{config}: its test dataset has no pipeline')
    loader['dataset'] = dict(
        type='OxUvADataset',
        data_root=osp.join(data_root, ''),
        split='dev',
        test_mode=True,
        pipeline=pipeline)
    if ann_file is not None:
        loader['dataset']['ann_file'] = ann_file
    cfg.test_evaluator = dict(
        type='OxUvAMetric',
        score_thr=0.5,
        sparse_annotations=True,
        outfile_prefix=work_dir)
    return cfg


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--work-dir', required=True)
    parser.add_argument('--data-root', default='data/real_video')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='passed to tools/test.py unchanged')
    parser.add_argument('--tasks', nargs='+',
                        help='only these tasks (<video>_<object>)')
    parser.add_argument('--dry-run', action='store_true',
                        help='only write the merged config')
    args = parser.parse_args(argv)
    tasks = osp.join(args.data_root, 'tasks', 'dev.csv')
    if not osp.isfile(tasks):
        raise SystemExit(f'{tasks} not found: run '
                         'tools/misc/prepare_real_video.py first')
    os.makedirs(args.work_dir, exist_ok=True)
    ann_file = subset_annotations(
        args.data_root, args.tasks, osp.join(
            args.work_dir, 'task_subset')) if args.tasks else None
    cfg = real_video_config(args.config, args.data_root,
                            osp.abspath(args.work_dir), ann_file)
    merged = osp.join(args.work_dir, 'real_video_config.py')
    cfg.dump(merged)
    print(f'config: {merged}')
    if args.dry_run:
        return 0
    cmd = [
        sys.executable,
        osp.join(REPO, 'tools', 'test.py'), merged, args.checkpoint,
        '--work-dir', args.work_dir
    ]
    if args.cfg_options:
        cmd += ['--cfg-options', *args.cfg_options]
    return subprocess.run(cmd).returncode


if __name__ == '__main__':
    sys.exit(main())
