# Copyright (c) mmtao contributors. All rights reserved.
"""``--cfg-options`` as a user expects them.

mmengine merges ``--cfg-options`` into the parsed config. Two things a user
runs into are left to the tool:

- a misspelt key (``model.test_cfg.tempral=None``) is added silently as a
  new key and changes nothing: :func:`merge_cfg_options` warns about every
  key that is not in the config, with the closest existing names;
- paths derived from a root when the config was parsed
  (``data_root + 'train/'``) keep the old root: a top-level ``*_root`` key
  given on the command line is carried into every string of the config
  that started with the old root.
"""
import argparse
import difflib
import sys
from typing import Any, Dict, List, Optional

from mmengine.config import Config, DictAction


class CfgOptionsAction(DictAction):
    """mmengine's ``DictAction`` with a one-line argparse error for an item
    that is not ``key=value`` (mmengine raises ``not enough values to
    unpack``)."""

    def __call__(self, parser, namespace, values, option_string=None):
        for item in values if isinstance(values, list) else [values]:
            key = item.split('=', 1)[0]
            if '=' not in item or not key:
                raise argparse.ArgumentError(
                    self, f'{item!r}: expected key=value, e.g. '
                    'model.test_cfg.temporal=None or data_root=DIR')
        super().__call__(parser, namespace, values, option_string)


def _lookup(node: Any, parts: List[str]):
    """Follow ``parts`` into dicts and lists. Returns ``(found, node,
    missing_part)``: the node reached (the value, or the deepest existing
    parent) and the first part that does not exist."""
    for i, part in enumerate(parts):
        if isinstance(node, (list, tuple)) and part.lstrip('-').isdigit():
            idx = int(part)
            if -len(node) <= idx < len(node):
                node = node[idx]
                continue
            return False, node, part
        if isinstance(node, dict) and part in node:
            node = node[part]
            continue
        return False, node, part
    return True, node, None


def _runner_keys() -> set:
    """Top-level keys mmengine's Runner reads whether a config has them or
    not (adding one is meaningful, not a typo)."""
    import inspect

    from mmengine.runner import Runner
    return set(inspect.signature(Runner.__init__).parameters) | {
        'find_unused_parameters', 'model_wrapper_cfg', 'runner_type'
    }


def unmatched_cfg_options(cfg: Config,
                          options: Dict[str, Any]) -> List[str]:
    """One message per key of ``options`` that names nothing in ``cfg``.

    Args:
        cfg (Config): The config before the options are merged.
        options (dict): ``--cfg-options`` as parsed by ``DictAction``.

    Returns:
        list[str]: ``"KEY: no 'PART' under PARENT (did you mean ...?)"``.
    """
    messages = []
    root = cfg._cfg_dict.to_dict()
    runner_keys = _runner_keys()
    for key in options:
        if key in runner_keys:
            continue
        parts = key.split('.')
        found, parent, missing = _lookup(root, parts)
        if found:
            continue
        parent_name = '.'.join(parts[:parts.index(missing)]) \
            or 'the top level'
        names = [str(k) for k in parent] if isinstance(parent, dict) else []
        close = difflib.get_close_matches(missing, names, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ''
        messages.append(f'--cfg-options {key}: the config has no '
                        f"'{missing}' under {parent_name}{hint}; it is "
                        'added as a new key, which may have no effect')
    return messages


def _replace_prefix(node: Any, old: str, new: str) -> Any:
    if isinstance(node, str):
        return new + node[len(old):] if node.startswith(old) else node
    if isinstance(node, dict):
        return {k: _replace_prefix(v, old, new) for k, v in node.items()}
    if isinstance(node, list):
        return [_replace_prefix(v, old, new) for v in node]
    if isinstance(node, tuple):
        return tuple(_replace_prefix(v, old, new) for v in node)
    return node


def merge_cfg_options(cfg: Config,
                      options: Optional[Dict[str, Any]],
                      warn: bool = True) -> List[str]:
    """Merge ``--cfg-options`` into ``cfg``, warning about unknown keys and
    carrying new top-level ``*_root`` values into derived paths.

    Args:
        cfg (Config): Parsed config, changed in place.
        options (dict, optional): ``--cfg-options`` (``DictAction``).
        warn (bool): Print the unknown-key warnings on stderr.

    Returns:
        list[str]: The warnings.
    """
    if not options:
        return []
    messages = unmatched_cfg_options(cfg, options)
    if warn:
        for message in messages:
            print(f'warning: {message}', file=sys.stderr, flush=True)
    roots = {
        key: cfg[key]
        for key, value in options.items()
        if '.' not in key and key.endswith('root') and isinstance(
            cfg.get(key), str) and cfg[key] and isinstance(value, str)
    }
    cfg.merge_from_dict(options)
    for key, old in roots.items():
        new = options[key]
        if old.endswith('/') and not new.endswith('/'):
            new += '/'
        explicit = {k for k in options if k != key}
        for top in list(cfg.keys()):
            if top == key or top in explicit:
                continue
            value = cfg[top]
            if isinstance(value, (dict, list, tuple, str)):
                cfg[top] = _replace_prefix(
                    value.to_dict() if hasattr(value, 'to_dict') else value,
                    old, new)
        # keys given explicitly on the command line win over derived ones
        cfg.merge_from_dict({k: v for k, v in options.items() if k != key})
    return messages


def drop_unscheduled_validation(cfg: Config) -> bool:
    """Remove validation the schedule never asks for.

    mmengine's loops validate at the end of training whatever
    ``val_interval`` is, so a config that means "no validation" with
    ``val_interval > max_iters`` (or ``max_epochs``) still needs its val
    split and spends a validation pass at the end. Such a config gets
    ``val_dataloader = val_cfg = val_evaluator = None``.

    Returns:
        bool: Whether validation was removed.
    """
    train_cfg = cfg.get('train_cfg') or {}
    length = train_cfg.get('max_iters', train_cfg.get('max_epochs'))
    interval = train_cfg.get('val_interval', 1)
    begin = train_cfg.get('val_begin', 1)
    if length is None or cfg.get('val_dataloader') is None:
        return False
    if interval > length or begin > length:
        cfg.val_dataloader = None
        cfg.val_cfg = None
        cfg.val_evaluator = None
        return True
    return False
