# Copyright (c) mmtao contributors. All rights reserved.
"""The README's Python API example runs exactly as written."""
import os
import os.path as osp
import re
import subprocess
import sys

from conftest import REPO_ROOT


def _api_blocks() -> list:
    text = open(osp.join(REPO_ROOT, 'README.md'), encoding='utf-8').read()
    blocks = re.findall(r'```python\n(.*?)```', text, flags=re.S)
    return [b for b in blocks if 'from mmtao.apis import' in b]


def test_readme_python_api_block_runs(tmp_path):
    blocks = _api_blocks()
    assert len(blocks) == 1, 'expected one README block using mmtao.apis'
    # run from a copy of the layout the README assumes (repository root),
    # so that its outputs/ land in tmp_path
    for name in ('configs', 'checkpoints', 'demo'):
        os.symlink(osp.join(REPO_ROOT, name), tmp_path / name)
    script = tmp_path / 'readme_api.py'
    script.write_text(blocks[0])
    env = dict(os.environ, OMP_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join(
                   [REPO_ROOT, os.environ.get('PYTHONPATH', '')]))
    proc = subprocess.run([sys.executable, str(script)], cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=600,
                          env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # the last print: the files written, both speeds
    outputs = tmp_path / 'outputs' / 'api'
    assert sorted(os.listdir(outputs)) == [
        'synthetic_demo_track.txt', 'synthetic_demo_tracked.mp4',
        'synthetic_demo_tracked.png'
    ]
    lines = (outputs / 'synthetic_demo_track.txt').read_text().splitlines()
    assert len(lines) == 1 + 20
    assert lines[1] == '0,0,132.00,68.00,48.00,64.00,1.0000'
