# Copyright (c) mmtao contributors. All rights reserved.
"""Disk bounds of the browser demo: old uploads and results are deleted.

An *entry* is one upload (``uploads/<id>.<ext>`` with its ``<id>.json``
side file) or one job folder (``jobs/<job_id>/``). :func:`cleanup` deletes
entries older than a maximum age, then the oldest ones while the total is
above a maximum size; entries in use (the running job, its video) are kept.
The server calls it at start, after each upload and after each job, so the
bounds also hold across restarts.
"""
import os
import os.path as osp
import shutil
import time
from typing import Dict, Iterable, List, NamedTuple, Optional


class Entry(NamedTuple):
    key: str  # 'uploads/<id>' or 'jobs/<job_id>'
    paths: List[str]
    mtime: float
    size: int


def _size(path: str) -> int:
    if osp.isdir(path):
        total = 0
        for root, _, files in os.walk(path):
            for f in files:
                try:
                    total += osp.getsize(osp.join(root, f))
                except OSError:
                    pass
        return total
    try:
        return osp.getsize(path)
    except OSError:
        return 0


def _mtime(path: str) -> float:
    try:
        return osp.getmtime(path)
    except OSError:
        return 0.0


def list_entries(out_dir: str) -> List[Entry]:
    """Uploads (grouped by id) and job folders under ``out_dir``."""
    entries: List[Entry] = []
    uploads = osp.join(out_dir, 'uploads')
    groups: Dict[str, List[str]] = {}
    if osp.isdir(uploads):
        for f in os.listdir(uploads):
            stem = f.split('.', 1)[0]
            groups.setdefault(stem, []).append(osp.join(uploads, f))
    for stem, paths in groups.items():
        entries.append(
            Entry(f'uploads/{stem}', paths, max(map(_mtime, paths)),
                  sum(map(_size, paths))))
    jobs = osp.join(out_dir, 'jobs')
    if osp.isdir(jobs):
        for d in os.listdir(jobs):
            path = osp.join(jobs, d)
            mtimes = [_mtime(path)] + [
                _mtime(osp.join(path, f))
                for f in (os.listdir(path) if osp.isdir(path) else [])
            ]
            entries.append(
                Entry(f'jobs/{d}', [path], max(mtimes), _size(path)))
    return entries


def cleanup(out_dir: str,
            max_age_s: Optional[float],
            max_bytes: Optional[int],
            keep: Iterable[str] = (),
            now: Optional[float] = None) -> List[str]:
    """Delete old entries, then the oldest while above ``max_bytes``.

    Args:
        out_dir (str): The server's folder (``uploads/``, ``jobs/``).
        max_age_s (float, optional): Delete entries not modified for longer;
            None = no age limit.
        max_bytes (int, optional): Total size to stay under; None = none.
        keep (Iterable[str]): Keys (``uploads/<id>``, ``jobs/<id>``) never
            deleted (in use).
        now (float, optional): The current time (tests).

    Returns:
        list[str]: Keys of the deleted entries.
    """
    now = time.time() if now is None else now
    keep = set(keep)
    entries = sorted(list_entries(out_dir), key=lambda e: e.mtime)
    deleted = []

    def delete(entry: Entry) -> None:
        for path in entry.paths:
            if osp.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            elif osp.lexists(path):
                try:
                    os.remove(path)
                except OSError:
                    pass
        deleted.append(entry.key)

    alive = []
    for entry in entries:
        if entry.key not in keep and max_age_s is not None \
                and now - entry.mtime > max_age_s:
            delete(entry)
        else:
            alive.append(entry)
    if max_bytes is not None:
        total = sum(e.size for e in alive)
        for entry in alive:  # oldest first
            if total <= max_bytes:
                break
            if entry.key in keep:
                continue
            delete(entry)
            total -= entry.size
    return deleted
