# Copyright (c) mmtao contributors. All rights reserved.
"""Running the command-line tools from the end-to-end tests."""
import os
import os.path as osp
import subprocess
import sys

# from this file's own path: in a whole-suite run 'conftest' is ambiguous
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# the tiny tracker of the end-to-end tool tests
TINY_CFG = osp.join(REPO_ROOT, 'tests/data/configs/tiny_tao_got10k.py')


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


def make_synthetic_benchmark(out: str, num_frames: int, seed: int,
                             img_size: tuple, num_videos: int = 3) -> str:
    """Write a small GOT-10k-layout synthetic benchmark with the tool.

    Args:
        out (str): Folder to write it to.
        num_frames (int): Frames of each video.
        seed (int): The world's seed.
        img_size (tuple): (w, h) of the frames.
        num_videos (int): Number of videos. Defaults to 3.

    Returns:
        str: ``out``.
    """
    args = ['--num-videos', num_videos, '--num-frames', num_frames,
            '--seed', seed, '--img-size', *img_size]
    run_tool([sys.executable, 'tools/misc/make_synthetic_world.py', '--out',
              out, *map(str, args)])
    return out


def save_seeded_tracker(cfg: str, ckpt: str) -> str:
    """Save the tracker of ``cfg``, randomly initialised with seed 0, as a
    plain state-dict checkpoint; returns ``ckpt``."""
    import torch

    from mmtao.apis import init_tracker
    torch.manual_seed(0)
    torch.save({'state_dict': init_tracker(cfg).state_dict(), 'meta': {}},
               ckpt)
    return ckpt
