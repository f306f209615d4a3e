# Copyright (c) mmtao contributors. All rights reserved.
"""Every shipped config is one mmengine's Runner accepts.

Config files can parse and build a model and still fail at
``Runner.from_cfg`` (e.g. a val dataloader without a val loop). Building
the Runner is lazy about data, so this needs no dataset on disk.
"""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmtao.utils import register_all_modules

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    glob.glob(osp.join(REPO, 'configs', 'tao', '*.py')) +
    glob.glob(osp.join(REPO, 'projects', '*', 'configs', '*.py')))


def test_configs_found():
    assert len(CONFIGS) >= 20


@pytest.mark.parametrize(
    'path', CONFIGS, ids=[osp.relpath(p, REPO) for p in CONFIGS])
def test_runner_accepts_config(path, tmp_path):
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(path)
    cfg.work_dir = str(tmp_path)
    # no weights are fetched or read here
    cfg.load_from = None
    cfg.model.get('backbone', {})['init_cfg'] = None
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        runner = Runner.from_cfg(cfg)
    finally:
        torch.set_num_threads(threads)
    assert runner.model is not None
