# Copyright (c) mmtao contributors. All rights reserved.
"""Running the command-line tools from the end-to-end tests."""
import os
import os.path as osp
import subprocess

# from this file's own path: in a whole-suite run 'conftest' is ambiguous
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def run_tool(args: list, env: dict = None) -> str:
    """Run ``args`` from the repository root; assert it succeeds.

    Args:
        args (list): The command line.
        env (dict, optional): Variables added to the environment.

    Returns:
        str: stdout and stderr (the log the tool printed).
    """
    proc = subprocess.run(
        args,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env=dict(os.environ, **(env or {})))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-4000:]
    return proc.stdout + proc.stderr
