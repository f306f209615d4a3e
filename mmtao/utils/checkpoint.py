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
import os
import os.path as osp
import re
import zipfile
from typing import List, Optional

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
    check_checkpoint_file(filename)
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
    check_finite_weights(checkpoint.get('state_dict', checkpoint), filename)
    return checkpoint


def check_checkpoint_file(filename: str) -> None:
    """Refuse an empty local file or a torch zip archive whose members fail
    their CRC-32 (torch's reader does not check them: a damaged file loads
    with wrong weights). Other files and URIs are left to the loader.

    Raises:
        ValueError: naming the file and the damaged member.
    """
    if not osp.isfile(filename):
        return
    if os.path.getsize(filename) == 0:
        raise ValueError(f'checkpoint {filename!r} is empty (0 bytes); '
                         'expected a torch checkpoint')
    if not zipfile.is_zipfile(filename):
        return  # legacy (non-zip) torch format: no checksums to verify
    try:
        with zipfile.ZipFile(filename) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise ValueError(f'checkpoint {filename!r} is damaged: '
                         f'{type(e).__name__}: {e}') from e
    if bad is not None:
        raise ValueError(
            f'checkpoint {filename!r} is damaged: its member {bad!r} fails '
            'its CRC check (the file was corrupted or partly overwritten); '
            'use an intact copy')


def check_finite_weights(state_dict: dict, filename: str) -> None:
    """Refuse floating-point weights holding NaN or inf (what a diverged
    training run saves), naming the file and the first such tensors."""
    bad = [
        k for k, v in state_dict.items()
        if isinstance(v, torch.Tensor) and v.is_floating_point()
        and not bool(torch.isfinite(v).all())
    ]
    if bad:
        shown = ', '.join(bad[:3]) + (', ...' if len(bad) > 3 else '')
        raise ValueError(
            f'checkpoint {filename!r} has NaN or inf weights in {len(bad)} '
            f'of its tensors ({shown}): it was saved from a diverged run; '
            'use an earlier checkpoint')


def checkpoint_config_name(checkpoint: dict) -> Optional[str]:
    """The config a Runner checkpoint was trained with, from its meta
    (``experiment_name`` without the ``_YYYYMMDD_HHMMSS`` suffix)."""
    name = (checkpoint.get('meta') or {}).get('experiment_name')
    if not isinstance(name, str):
        return None
    return re.sub(r'_\d{8}_\d{6}$', '', name)


def check_checkpoint_matches(model: torch.nn.Module,
                             filename: str,
                             min_fraction: float = 0.5,
                             config_name: Optional[str] = None) -> float:
    """Check that a checkpoint holds the weights of ``model``.

    mmengine's ``load_checkpoint`` is non-strict: a checkpoint of an
    unrelated network "loads" with a warning and leaves the model random,
    and a tensor of another shape (the six-class model's classifier in the
    one-class model) is dropped with a warning. This raises instead, naming
    the file, the config the checkpoint was trained with (from its meta)
    and ``config_name``.

    Args:
        model (nn.Module): The model to be loaded (DDP wrappers are fine).
        filename (str): The checkpoint.
        min_fraction (float): Least fraction of the model's tensors that must
            be found in the checkpoint with equal shapes. Defaults to 0.5
            (a tracker loading a plain detector checkpoint finds ~all but its
            tracking layers).
        config_name (str, optional): The model's config, for the message.

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
    target = f'config {config_name!r}' if config_name \
        else f'the model {type(model).__name__}'
    trained = checkpoint_config_name(checkpoint)
    origin = f' (trained with {trained!r})' if trained else ''
    if fraction < min_fraction:
        raise ValueError(
            f'checkpoint {filename!r}{origin} does not fit {target}: only '
            f'{found} of its {len(own)} tensors are in the checkpoint with '
            f'the same shape (expected at least {min_fraction:.0%}). Is it '
            'the checkpoint of another model or config?')
    differ = [(k, tuple(state_dict[k].shape), tuple(v.shape))
              for k, v in own.items() if k in state_dict
              and hasattr(state_dict[k], 'shape')
              and tuple(state_dict[k].shape) != tuple(v.shape)]
    if differ:
        key, theirs, ours = differ[0]
        raise ValueError(
            f'checkpoint {filename!r}{origin} is of another config than '
            f'{target}: {len(differ)} tensor(s) differ in shape, e.g. {key} '
            f'{theirs} in the checkpoint vs {ours} in the model; pass the '
            'config it was trained with')
    return fraction
