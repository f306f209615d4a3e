# Copyright (c) mmtao contributors. All rights reserved.
"""tools/analysis/benchmark_tracker.py runs for any list of K (speed
targets live in the script's output, not in tests)."""
import os.path as osp
import re
import sys

from tool_runner import REPO_ROOT, run_tool

TINY_CFG = osp.join(REPO_ROOT, 'tests/test_training/configs/tiny_tao_joint.py')


def test_benchmark_runs_with_one_template_and_prints_every_ratio():
    # --num-templates 1 alone used to crash (the added object was boxes[1:2])
    log = run_tool([
        sys.executable, 'tools/analysis/benchmark_tracker.py', TINY_CFG,
        '--size', '64', '48', '--repeat', '1', '--warmup', '0', '--threads',
        '1', '--num-templates', '1'
    ])
    for row in ('backbone+FPN', 'track K=1', 'K=1 (mmdet)', 'add object'):
        assert re.search(re.escape(row) + r'\s+[\d.]+ ms', log), log
    for ratio in ('track / (backbone+FPN)', 'add object / track',
                  'time(K=1) / time(K=1)'):
        assert re.search(re.escape(ratio) + r'\s+[\d.]+', log), log
