# Copyright (c) mmtao contributors. All rights reserved.
"""Run an iterator a few items ahead in a background thread."""
import queue
import threading
from typing import Iterable, Iterator


class Prefetcher(Iterator):
    """Iterate ``iterable`` in a daemon thread, ``size`` items ahead.

    :func:`mmtao.apis.iter_tracks` decodes the next frames with it while
    the model runs. An exception raised by the iterable is re-raised by
    ``__next__`` at the position where it happened; :meth:`close` stops the
    thread (also while it waits on a full queue).

    Args:
        iterable (Iterable): The items (e.g. ``(index, frame)`` pairs).
        size (int): Items kept ready. Defaults to 4.
    """
    _END = object()

    def __init__(self, iterable: Iterable, size: int = 4) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=size)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(iterable, ), daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                pass
        return False

    def _run(self, iterable: Iterable) -> None:
        try:
            for item in iterable:
                if not self._put((True, item)):
                    return
        except BaseException as e:  # handed to the consumer
            self._put((False, e))
            return
        self._put((True, self._END))

    def __iter__(self) -> 'Prefetcher':
        return self

    def __next__(self):
        ok, item = self._queue.get()
        if not ok:
            raise item
        if item is self._END:
            raise StopIteration
        return item

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
