# Copyright (c) mmtao contributors. All rights reserved.
"""Load mmengine checkpoints with ``torch.load(weights_only=True)`` kept on.

torch >= 2.6 defaults ``torch.load`` to ``weights_only=True``. mmengine calls
``torch.load`` without the argument, and a Runner checkpoint pickles more than
tensors: the message hub's :class:`~mmengine.logging.HistoryBuffer` (numpy
arrays inside) and numpy scalars in ``meta``. Instead of switching the safety
off for every file (``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD``, never used here),
the few classes such checkpoints need are put on torch's allow-list; anything
else in a pickle is still refused.
"""
import builtins
from typing import List

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

__all__ = ['CHECKPOINT_SAFE_GLOBALS', 'register_checkpoint_safe_globals']


def _numpy_globals() -> List[object]:
    """Numpy reconstruction helpers and every concrete dtype class."""
    core = np._core.multiarray  # numpy 2.x private path, stable in 2.x
    dtype_classes = [
        getattr(np.dtypes, name) for name in dir(np.dtypes)
        if name.endswith('DType') and isinstance(
            getattr(np.dtypes, name), type)
    ]
    return [core._reconstruct, core.scalar, np.ndarray, np.dtype
            ] + dtype_classes


#: Classes and functions a Runner checkpoint may reference. ``getattr`` is
#: how numpy pickles some scalars and is harmless without other globals;
#: ``bytes`` is how pickle protocol 2 writes the empty data buffer of an
#: empty array (``np.array([])``, a HistoryBuffer that never got a value),
#: and it only builds a bytes object.
CHECKPOINT_SAFE_GLOBALS: List[object] = [
    HistoryBuffer, builtins.getattr, builtins.bytes
] + _numpy_globals()

_registered = False


def register_checkpoint_safe_globals() -> None:
    """Add :data:`CHECKPOINT_SAFE_GLOBALS` to torch's ``weights_only``
    allow-list. Idempotent; runs when :mod:`mmtao` is imported."""
    global _registered
    if _registered:
        return
    torch.serialization.add_safe_globals(CHECKPOINT_SAFE_GLOBALS)
    _registered = True


def load_checkpoint_file(filename: str, map_location: str = 'cpu') -> dict:
    """Read a checkpoint file with ``weights_only`` on, or raise an error
    that names the file and says why it was refused.

    Args:
        filename (str): Local path or any URI mmengine's file backends read.
        map_location (str): Passed to ``torch.load``. Defaults to 'cpu'.

    Returns:
        dict: The checkpoint as saved (usually with ``'state_dict'`` and
        ``'meta'``).
    """
    from mmengine.runner.checkpoint import _load_checkpoint
    register_checkpoint_safe_globals()
    try:
        checkpoint = _load_checkpoint(filename, map_location=map_location)
    except FileNotFoundError:
        raise
    except Exception as e:  # pickle.UnpicklingError, RuntimeError, ...
        raise ValueError(
            f'checkpoint {filename!r} could not be loaded with torch '
            f'weights_only=True: it is not a torch checkpoint or it '
            f'references objects outside mmtao\'s allow-list '
            f'(mmtao.utils.CHECKPOINT_SAFE_GLOBALS). Cause: '
            f'{type(e).__name__}: {str(e).splitlines()[0]}') from e
    if not isinstance(checkpoint, dict):
        raise ValueError(f'checkpoint {filename!r} holds a '
                         f'{type(checkpoint).__name__}, expected a dict '
                         'with a state_dict')
    return checkpoint


def check_checkpoint_matches(model: torch.nn.Module,
                             filename: str,
                             min_fraction: float = 0.5) -> float:
    """Check that a checkpoint holds the weights of ``model``.

    mmengine's ``load_checkpoint`` is non-strict: a checkpoint of an
    unrelated network "loads" with a warning and leaves the model random.
    This raises instead, naming the file.

    Args:
        model (nn.Module): The model to be loaded (DDP wrappers are fine).
        filename (str): The checkpoint.
        min_fraction (float): Least fraction of the model's tensors that must
            be found in the checkpoint with equal shapes. Defaults to 0.5
            (a tracker loading a plain detector checkpoint finds ~all but its
            tracking layers).

    Returns:
        float: The fraction of the model's tensors found.
    """
    checkpoint = load_checkpoint_file(filename)
    state_dict = checkpoint.get('state_dict', checkpoint)
    state_dict = {
        k[len('module.'):] if k.startswith('module.') else k: v
        for k, v in state_dict.items()
    }
    model = getattr(model, 'module', model)
    own = model.state_dict()
    found = sum(1 for k, v in own.items() if k in state_dict
                and getattr(state_dict[k], 'shape', None) == v.shape)
    fraction = found / max(len(own), 1)
    if fraction < min_fraction:
        raise ValueError(
            f'checkpoint {filename!r} does not fit the model '
            f'{type(model).__name__}: only {found} of its {len(own)} '
            f'tensors are in the checkpoint with the same shape (expected at '
            f'least {min_fraction:.0%}). Is it the checkpoint of another '
            'model or config?')
    return fraction
