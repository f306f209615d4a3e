# Copyright (c) mmtao contributors. All rights reserved.
import os.path as osp
import sys

import pytest

# Same value as tests/conftest.py: other test folders import REPO_ROOT from
# whichever ``conftest`` module Python has cached.
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# Lets test modules in sub-folders import the layout writers by a unique
# module name (``sot_layouts``) instead of ``conftest``.
if osp.dirname(osp.abspath(__file__)) not in sys.path:
    sys.path.insert(0, osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='session')
def synthetic_world(tmp_path_factory) -> str:
    """A tiny synthetic world: 4 sequences x 12 frames of 96x72."""
    from mmtao.datasets.synthetic import SyntheticWorldGenerator
    root = str(tmp_path_factory.mktemp('synthetic_world'))
    SyntheticWorldGenerator(
        img_size=(96, 72), num_frames=12, seed=3).generate(root, 4)
    return root
