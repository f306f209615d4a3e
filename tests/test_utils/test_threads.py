# Copyright (c) mmtao contributors. All rights reserved.
import pytest
import torch

from mmtao.utils import threads


@pytest.fixture
def machine(monkeypatch):
    """Set the cores, load and OMP_NUM_THREADS the rule sees."""
    monkeypatch.setattr(threads, '_explicit', None)
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    before = torch.get_num_threads()

    def set_machine(cores, load=0.0, omp=None):
        monkeypatch.setattr(threads, 'usable_cores', lambda: cores)
        monkeypatch.setattr(threads.os, 'getloadavg',
                            lambda: (load, load, load))
        if omp is not None:
            monkeypatch.setenv('OMP_NUM_THREADS', omp)

    yield set_machine
    torch.set_num_threads(before)


@pytest.mark.parametrize('cores,load,omp,expected', [
    (1, 0.0, None, 1),
    (2, 0.0, None, 1),  # measured: a 2nd thread is not faster on 2 cores
    (8, 0.0, None, 4),  # capped
    (8, 5.2, None, 3),  # the free cores
    (8, 6.6, None, 1),  # fewer than 2 free
    (4, 0.0, None, 4),
    (2, 0.0, '2', 2),  # OMP_NUM_THREADS wins over the rule
    (8, 0.0, '1', 1),
    (8, 0.0, 'x', 4),  # not a count: ignored
])
def test_default_rule(machine, cores, load, omp, expected):
    machine(cores, load, omp)
    assert threads.default_num_threads() == expected


def test_explicit_count_wins_and_is_kept(machine):
    machine(2)
    assert threads.setup_num_threads() == 1
    assert torch.get_num_threads() == 1
    assert threads.setup_num_threads(3) == 3
    assert torch.get_num_threads() == 3
    # a later default call (init_tracker's) keeps the explicit choice
    assert threads.setup_num_threads(None) == 3
    assert threads.setup_num_threads(0) == 3
    with pytest.raises(ValueError, match='num_threads must be >= 0'):
        threads.setup_num_threads(-1)
