# Copyright (c) mmtao contributors. All rights reserved.
import os
import platform
import subprocess
import sys

import pytest

from mmtao.utils import allocator

glibc = pytest.mark.skipif(
    platform.system() != 'Linux' or platform.libc_ver()[0] != 'glibc',
    reason='mallopt is glibc-only')

# a child process: mallopt settings cannot be undone in the test process.
# mallinfo2's 'keepcost' is not reliable; the observable effect of the mmap
# threshold is that a freed 8 MiB block is not unmapped: the heap's free
# bytes (fordblks) grow by it.
PROBE = r'''
import ctypes, sys
from mmtao.utils import setup_allocator
ok = setup_allocator() if sys.argv[1] == 'on' else False
libc = ctypes.CDLL('libc.so.6')

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        'arena', 'ordblks', 'smblks', 'hblks', 'hblkhd', 'usmblks',
        'fsmblks', 'uordblks', 'fordblks', 'keepcost')]

libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
before = libc.mallinfo2().hblks
p = libc.malloc(8 << 20)
mapped = libc.mallinfo2().hblks - before
libc.free(p)
print(ok, mapped, libc.mallinfo2().fordblks >= (8 << 20))
'''


def probe(mode, env=None):
    env = dict(os.environ, **(env or {}))
    out = subprocess.run([sys.executable, '-c', PROBE, mode],
                         capture_output=True,
                         text=True,
                         env=env,
                         check=True).stdout.split()
    return out


@glibc
def test_large_blocks_come_from_the_heap_and_stay_there():
    # glibc's default: an 8 MiB block is its own mmap, gone when freed
    assert probe('off') == ['False', '1', 'False']
    # tuned: from the heap, and kept (free) for the next frame
    assert probe('on') == ['True', '0', 'True']


@glibc
def test_env_switch_turns_it_off():
    assert probe('on', {'MMTAO_MALLOC_TUNING': '0'}) == ['False', '1', 'False']


def test_not_glibc_is_a_no_op(monkeypatch):
    monkeypatch.setattr(allocator, '_done', False)
    monkeypatch.setattr(allocator.platform, 'system', lambda: 'Darwin')
    assert allocator.setup_allocator() is False
