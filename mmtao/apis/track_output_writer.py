# Copyright (c) mmtao contributors. All rights reserved.
"""Write a tracked video's files as the frames arrive.

Used by :func:`mmtao.apis.track_video` (both demos and the API). Every file
is checked as it is written: a full disk or a failed ffmpeg raises
:class:`~mmtao.utils.video_io.OutputError` naming the file and the reason,
and the files that are valid stay (the txt up to its last complete line, the
last contact sheet written whole); an unplayable mp4 is removed.
"""
import os
import os.path as osp
import queue
import threading
from typing import Dict, List, Optional

import numpy as np
from mmdet.structures import DetDataSample

from mmtao.utils.run_lock import RunLock
from mmtao.utils.video_io import (Mp4Writer, OutputError, ensure_writable_dir,
                                  output_error, write_image)
from mmtao.visualization import draw_tracks

TRACK_HEADER = 'frame,object,x,y,w,h,score'
SHEET_FRAMES = 6


class TrackOutputWriter:
    """Write the tracked video, the track text and a contact sheet as
    frames arrive, so that a run stopped at any frame leaves valid files.

    Files, in ``out_dir``: ``NAME_tracked.mp4`` (H.264, drawn frames),
    ``NAME_track.txt`` (``frame,object,x,y,w,h,score`` with the source frame
    index; flushed after every frame) and ``NAME_tracked.png`` (up to six
    drawn frames side by side, one every ``sheet_every`` frames, replaced
    atomically when a frame joins it). Drawing and encoding run in a
    background thread. While it is open, a lock (``.NAME.lock`` in
    ``out_dir``) makes a second writer of the same names fail at once.

    Args:
        out_dir (str): Output folder, created if needed.
        name (str): File name stem.
        fps (float): Frame rate of the mp4. Defaults to 25.
        sheet_every (int): Take every n-th written frame into the contact
            sheet. Defaults to 1.

    Raises:
        PermissionError: ``permission denied: OUT_DIR``.
        OutputInUseError: another process is writing the same files.
        OutputError: a file could not be written (from ``write``/``close``;
            ``outputs`` then holds the files kept).
    """

    def __init__(self,
                 out_dir: str,
                 name: str,
                 fps: float = 25.0,
                 sheet_every: int = 1) -> None:
        ensure_writable_dir(out_dir)
        self.paths = dict(
            video=osp.join(out_dir, f'{name}_tracked.mp4'),
            track=osp.join(out_dir, f'{name}_track.txt'),
            sheet=osp.join(out_dir, f'{name}_tracked.png'))
        self._lock = RunLock(
            osp.join(out_dir, f'.{name}.lock'),
            osp.join(out_dir, f'{name}_track*'),
            'give this run another --out-dir, or wait for the other one')
        self.sheet_every = max(int(sheet_every), 1)
        self.outputs: Dict[str, str] = {}
        self._fps = fps
        self._mp4: Optional[Mp4Writer] = None
        self._sheet: List[np.ndarray] = []
        self._count = 0
        self._rows = 0
        self._txt_size = 0  # bytes of complete lines on disk
        self._error: Optional[BaseException] = None
        try:
            self._txt = open(self.paths['track'], 'w')
            self._write_txt(TRACK_HEADER + '\n')
        except BaseException:
            if osp.isfile(self.paths['track']) and \
                    os.path.getsize(self.paths['track']) == 0:
                os.remove(self.paths['track'])  # the disk was full already
            self._lock.release()
            raise
        self._queue: queue.Queue = queue.Queue(maxsize=8)
        self._thread = threading.Thread(target=self._encode, daemon=True)
        self._thread.start()

    def _write_txt(self, text: str) -> None:
        try:
            self._txt.write(text)
            self._txt.flush()
        except OSError as e:
            # drop the partly written line: the file stays a valid table
            try:
                self._txt.close()
            except OSError:
                pass
            try:
                os.truncate(self.paths['track'], self._txt_size)
            except OSError:
                pass
            raise output_error(self.paths['track'], e) from e
        self._txt_size += len(text.encode())

    def write(self, index: int, frame: np.ndarray,
              result: DetDataSample) -> None:
        """Add one frame: its track lines now, the drawn frame soon.

        Args:
            index (int): Source frame index (first column of the txt).
            frame (np.ndarray): BGR frame (H, W, 3) uint8.
            result (DetDataSample): Output of ``init``/``track``.
        """
        self._raise_encoder_error()
        if self._txt.closed:
            raise ValueError(f'{self.paths["track"]}: write() after close()')
        pred = result.pred_track_instances
        bboxes = pred.bboxes.cpu().numpy()
        scores = pred.scores.cpu().numpy()
        masks = pred.masks.cpu().numpy() if 'masks' in pred else None
        self._write_txt(''.join(
            f'{index},{k},{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f},'
            f'{float(s):.4f}\n'
            for k, ((x1, y1, x2, y2), s) in enumerate(
                zip(bboxes.tolist(), scores))))
        self._rows += 1
        self._put((frame, bboxes, scores, masks))

    def _put(self, item) -> None:
        while True:
            try:
                self._queue.put(item, timeout=0.5)
                return
            except queue.Full:
                self._raise_encoder_error()

    def _raise_encoder_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _encode(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is not None:
                continue
            try:
                frame, bboxes, scores, masks = item
                drawn = draw_tracks(frame, bboxes, scores, masks)
                if self._mp4 is None:
                    self._mp4 = Mp4Writer(self.paths['video'], fps=self._fps)
                self._mp4.write(drawn)
                if self._count % self.sheet_every == 0 \
                        and len(self._sheet) < SHEET_FRAMES:
                    self._sheet.append(drawn)
                    write_image(self.paths['sheet'],
                                np.concatenate(self._sheet, axis=1))
                self._count += 1
            except BaseException as e:  # re-raised in the caller's thread
                self._error = e

    def close(self) -> Dict[str, str]:
        """Finish all files (waits for the encoder) and release the lock.

        Returns:
            dict: ``{'video'|'track'|'sheet': path}`` of the files holding
            at least one frame (also in ``self.outputs``).

        Raises:
            OutputError: a file could not be finished; ``self.outputs``
                names the files kept.
        """
        try:
            if self._thread.is_alive():
                self._queue.put(None)
                self._thread.join()
            if self._mp4 is not None:
                mp4, self._mp4 = self._mp4, None
                try:
                    mp4.close()
                except OutputError as e:
                    self._error = self._error or e
            if not self._txt.closed:
                self._txt.close()
            if self._rows == 0 and osp.isfile(self.paths['track']):
                os.remove(self.paths['track'])  # header only
        finally:
            self._lock.release()
            self.outputs = {
                k: p
                for k, p in self.paths.items() if osp.isfile(p)
            }
        self._raise_encoder_error()
        return self.outputs

    def __enter__(self) -> 'TrackOutputWriter':
        return self

    def __exit__(self, *exc) -> None:
        self.close()
