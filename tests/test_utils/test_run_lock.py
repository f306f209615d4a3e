# Copyright (c) mmtao contributors. All rights reserved.
import os
import subprocess
import sys

import pytest

from mmtao.utils.run_lock import OutputInUseError, RunLock, fcntl

pytestmark = pytest.mark.skipif(fcntl is None, reason='POSIX flock only')


def test_second_holder_is_refused_and_named(tmp_path):
    path = str(tmp_path / '.x.lock')
    with RunLock(path, 'out/x_*', 'use another --out-dir'):
        with pytest.raises(OutputInUseError,
                           match=rf'out/x_\* is being written by another '
                           rf'run \(pid {os.getpid()}\).*another --out-dir'):
            RunLock(path, 'out/x_*', 'use another --out-dir')
    assert not os.path.exists(path)
    RunLock(path, 'out/x_*').release()  # free again


def test_lock_of_a_killed_process_does_not_block(tmp_path):
    """The kernel drops a flock when its process dies (kill -9): a stale
    lock file is no obstacle."""
    path = str(tmp_path / '.y.lock')
    code = ('import os, sys; from mmtao.utils.run_lock import RunLock; '
            f'RunLock({path!r}, "y"); os.kill(os.getpid(), 9)')
    proc = subprocess.run([sys.executable, '-c', code], cwd=os.getcwd())
    assert proc.returncode == -9 and os.path.exists(path)
    RunLock(path, 'y').release()
