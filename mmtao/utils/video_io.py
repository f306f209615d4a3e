# Copyright (c) mmtao contributors. All rights reserved.
"""Reading frames from a video file or an image folder, writing mp4.

imageio-ffmpeg's bundled ffmpeg does the codec work (any container ffmpeg
reads, whatever the file's extension: ``.mts``, ``.ts``, ``.m4v``, ``.3gp``
...); this module only gives both sources one interface and clear errors,
and checks that what it writes was written (:class:`OutputError`).
"""
import errno
import os
import os.path as osp
import re
import stat
import subprocess
import tempfile
from typing import Iterator, List, Optional, Tuple

import numpy as np

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


class OutputError(OSError):
    """An output file that could not be written completely (disk full, I/O
    error, ffmpeg failed). The message names the file and the reason;
    ``errno`` is set when known (28: no space left on device)."""

    def __init__(self, code: Optional[int], message: str) -> None:
        super().__init__(message)
        self.errno = code


def output_error(path: str, err: BaseException) -> OutputError:
    """An :class:`OutputError` for ``path`` from an ``OSError`` (errno
    28 reads "no space left on device")."""
    reason = os.strerror(err.errno).lower() if getattr(
        err, 'errno', None) else str(err) or type(err).__name__
    return OutputError(getattr(err, 'errno', None) or errno.EIO,
                       f'could not write {path}: {reason}')


def write_image(path: str, image: np.ndarray) -> None:
    """Encode ``image`` (BGR uint8) by its extension and replace ``path``
    with it atomically: a failed write (disk full) leaves the previous file
    as it was and raises :class:`OutputError`."""
    import cv2
    ok, data = cv2.imencode(osp.splitext(path)[1] or '.png', image)
    if not ok:
        raise OutputError(errno.EIO, f'could not write {path}: OpenCV '
                          f'cannot encode a {image.shape} image as '
                          f'{osp.splitext(path)[1]}')
    tmp = f'{path}.{os.getpid()}.part'
    try:
        with open(tmp, 'wb') as f:
            f.write(data.tobytes())
        os.replace(tmp, path)
    except OSError as e:
        if osp.exists(tmp):
            os.remove(tmp)
        raise output_error(path, e) from e


def natural_key(name: str) -> list:
    """Sort key that orders the numbers in a name by value:
    ``frame2.jpg`` before ``frame10.jpg``."""
    return [(0, int(t), t) if t.isdigit() else (1, 0, t.lower())
            for t in re.split(r'(\d+)', name) if t]


def ensure_writable_dir(path: str) -> str:
    """Create folder ``path`` if needed and check that files can be written
    in it.

    Raises:
        PermissionError: ``permission denied: PATH`` (instead of a broken
            pipe from ffmpeg or a later failure half-way through a run).
        NotADirectoryError: ``PATH`` exists and is not a folder.
    """
    try:
        os.makedirs(path, exist_ok=True)
    except PermissionError:
        raise PermissionError(f'permission denied: {path}') from None
    except FileExistsError:
        raise NotADirectoryError(
            f'not a folder: {path} (expected an output folder)') from None
    if not osp.isdir(path):
        raise NotADirectoryError(
            f'not a folder: {path} (expected an output folder)')
    if not os.access(path, os.W_OK | os.X_OK):
        raise PermissionError(f'permission denied: {path}')
    return path


class FrameError(ValueError):
    """A frame of a video or folder that cannot be used.

    Raised for a frame that cannot be decoded or whose size differs from the
    first frame's. The message names the frame (index and file) and what was
    expected.

    Attributes:
        index (int): Index of the frame in the source (0 = first frame of
            the file or folder, not of the ``start_frame`` slice).
        path (str): Image file of the frame (folders) or the video file.
    """

    def __init__(self, index: int, path: str, message: str) -> None:
        super().__init__(f'frame {index} ({path}): {message}')
        self.index = index
        self.path = path


class FrameReader:
    """Frames of a video file (mp4, avi, ...) or of a folder of images.

    Frames come out as BGR uint8 arrays of shape (H, W, 3), the convention of
    mmcv / mmdet pipelines. Folder frames are taken in natural order of
    their names (the numbers in them by value: ``frame2`` before
    ``frame10``). Videos are read by ffmpeg whatever their extension; a path
    that is neither a regular file nor a folder (a named pipe, a device) is
    refused, as ffmpeg would wait on it forever.
    Every frame must have the size of the first one read; a frame that cannot
    be decoded or has another size raises :class:`FrameError` when it is
    reached (the frames before it have been yielded).

    Args:
        source (str): Path of a video file or of a folder of images.
        max_frames (int, optional): Stop after this many frames (>= 1).
        start_frame (int): Index of the first frame to yield; the frames
            before it are skipped. Defaults to 0.
    """

    def __init__(self,
                 source: str,
                 max_frames: Optional[int] = None,
                 start_frame: int = 0) -> None:
        if max_frames is not None and (not isinstance(max_frames, int)
                                       or max_frames < 1):
            raise ValueError(f'max_frames must be a positive number of '
                             f'frames (or None for all), got {max_frames!r}')
        if not isinstance(start_frame, int) or start_frame < 0:
            raise ValueError(f'start_frame must be a frame index >= 0, got '
                             f'{start_frame!r}')
        if not osp.exists(source):
            raise FileNotFoundError(f'video or frame folder not found: '
                                    f'{source!r}')
        mode = os.stat(source).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            kind = 'a named pipe (FIFO)' if stat.S_ISFIFO(mode) else \
                'a device or socket'
            raise ValueError(f'{source!r} is {kind}, not a video file or '
                             'a folder of frames')
        self.source = source
        self.max_frames = max_frames
        self.start_frame = start_frame
        self.is_folder = osp.isdir(source)
        self.fps = 25.0
        if self.is_folder:
            self.frame_paths: List[str] = [
                osp.join(source, f) for f in sorted(
                    os.listdir(source), key=natural_key)
                if f.lower().endswith(IMG_EXTENSIONS)
            ]
            if not self.frame_paths:
                raise ValueError(f'frame folder {source!r} holds no images '
                                 f'(expected files ending in '
                                 f'{", ".join(IMG_EXTENSIONS)})')
            if start_frame >= len(self.frame_paths):
                raise ValueError(
                    f'start frame {start_frame} is past the end of '
                    f'{source!r} ({len(self.frame_paths)} frames)')
        else:
            gen = self._open_video()
            try:
                meta = next(gen)
            except Exception as e:
                raise ValueError(f'cannot read video {source!r}: '
                                 f'{type(e).__name__}: '
                                 f'{str(e).splitlines()[0]}') from e
            finally:
                gen.close()
            self._meta = meta
            self.fps = float(meta.get('fps') or 25.0)

    def _open_video(self) -> Iterator:
        """imageio-ffmpeg's frame generator (meta dict first, then frames
        as BGR bytes), which does not pick a backend by the extension."""
        import imageio_ffmpeg
        return imageio_ffmpeg.read_frames(self.source, pix_fmt='bgr24')

    def frame_size(self) -> Tuple[int, int]:
        """``(width, height)`` of the frames (of frame ``start_frame`` for
        a folder), read without decoding the video.

        Raises:
            FrameError: the folder's first frame cannot be decoded.
        """
        if not self.is_folder:
            return tuple(self._meta['size'])
        import cv2
        path = self.frame_paths[self.start_frame]
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None or img.size == 0:
            raise FrameError(self.start_frame, path,
                             'could not be decoded as an image')
        return img.shape[1], img.shape[0]

    def frame_path(self, index: int) -> str:
        """File holding frame ``index`` (the video itself for a video)."""
        return self.frame_paths[index] if self.is_folder else self.source

    def __iter__(self) -> Iterator[np.ndarray]:
        for _, frame in self.indexed():
            yield frame

    def indexed(self) -> Iterator[Tuple[int, np.ndarray]]:
        """Yield ``(index, frame)`` with the frame's index in the source."""
        stop = None if self.max_frames is None \
            else self.start_frame + self.max_frames
        shape = None
        for index, frame in self._decode(stop):
            if shape is None:
                shape = frame.shape
            elif frame.shape != shape:
                raise FrameError(
                    index, self.frame_path(index),
                    f'size {frame.shape[1]}x{frame.shape[0]}, expected '
                    f'{shape[1]}x{shape[0]} as frame {self.start_frame}')
            yield index, frame

    def _decode(self, stop: Optional[int]) -> Iterator[Tuple[int,
                                                             np.ndarray]]:
        import cv2
        if self.is_folder:
            for index in range(self.start_frame,
                               min(stop or len(self.frame_paths),
                                   len(self.frame_paths))):
                path = self.frame_paths[index]
                img = cv2.imread(path, cv2.IMREAD_COLOR)
                if img is None or img.size == 0:
                    raise FrameError(index, path,
                                     'could not be decoded as an image')
                yield index, img
            return
        index = -1
        frames = self._open_video()
        try:
            w, h = next(frames)['size']
            while stop is None or index + 1 < stop:
                try:
                    data = next(frames)
                except StopIteration:
                    break
                except Exception as e:
                    raise FrameError(
                        index + 1, self.source,
                        f'could not be decoded ({type(e).__name__}: '
                        f'{str(e).splitlines()[0] if str(e) else ""})'
                    ) from e
                index += 1
                if index < self.start_frame:
                    continue
                # a writable copy, as the frames of a folder
                yield index, np.frombuffer(data, np.uint8).reshape(
                    h, w, 3).copy()
        finally:
            frames.close()
        if index < self.start_frame:
            raise ValueError(f'start frame {self.start_frame} is past the '
                             f'end of {self.source!r} ({index + 1} frames)')

    def __len__(self) -> int:
        """Number of frames to read (exact for folders, ffmpeg's count for
        videos), after ``start_frame`` and ``max_frames``."""
        if self.is_folder:
            n = len(self.frame_paths)
        else:
            import imageio_ffmpeg
            n = imageio_ffmpeg.count_frames_and_secs(self.source)[0]
        n = max(n - self.start_frame, 0)
        return n if self.max_frames is None else min(n, self.max_frames)


class Mp4Writer:
    """Write BGR frames to an H.264 mp4 (yuv420p, plays everywhere).

    Frames are piped to imageio-ffmpeg's bundled ffmpeg, whose exit status
    is checked: a file ffmpeg could not finish (disk full, I/O error) raises
    :class:`OutputError` naming it, from :meth:`write` or :meth:`close`, and
    the unplayable file is removed. ffmpeg runs in its own session so that a
    Ctrl-C reaches Python only and the file is finished on close.

    Args:
        path (str): Output file; its folder is created.
        fps (float): Frames per second. Defaults to 25.
    """

    def __init__(self, path: str, fps: float = 25.0) -> None:
        ensure_writable_dir(osp.dirname(osp.abspath(path)))
        self.path = path
        self.fps = fps
        self.num_frames = 0
        self._proc: Optional[subprocess.Popen] = None
        self._log = None
        self._size: Optional[Tuple[int, int]] = None

    def _start(self, width: int, height: int) -> None:
        import imageio_ffmpeg
        self._size = (width, height)
        self._log = tempfile.TemporaryFile()
        cmd = [
            imageio_ffmpeg.get_ffmpeg_exe(), '-y', '-v', 'error', '-f',
            'rawvideo', '-pix_fmt', 'bgr24', '-s', f'{width}x{height}', '-r',
            f'{self.fps:g}', '-i', '-', '-an', '-c:v', 'libx264', '-pix_fmt',
            'yuv420p',
            # yuv420p needs even sizes: pad an odd edge by one pixel
            '-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2', self.path
        ]
        self._proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            start_new_session=True)

    def write(self, frame_bgr: np.ndarray) -> None:
        """Append one BGR uint8 frame (H, W, 3), the size of the first."""
        h, w = frame_bgr.shape[:2]
        if self._proc is None:
            self._start(w, h)
        elif (w, h) != self._size:
            raise ValueError(f'{self.path}: frame of {w}x{h}, expected '
                             f'{self._size[0]}x{self._size[1]}')
        try:
            self._proc.stdin.write(
                np.ascontiguousarray(frame_bgr, np.uint8).data)
        except (BrokenPipeError, OSError) as e:
            raise self._failure(e) from e
        self.num_frames += 1

    def _failure(self, err: Optional[BaseException] = None) -> OutputError:
        """Stop ffmpeg, remove the unfinished file, describe the failure."""
        proc, self._proc = self._proc, None
        try:
            proc.stdin.close()
        except OSError:
            pass
        code = proc.wait()
        self._log.seek(0)
        lines = self._log.read().decode(errors='replace').strip()
        self._log.close()
        last = lines.splitlines()[-1] if lines else ''
        if osp.exists(self.path):
            os.remove(self.path)
        reason = 'no space left on device' if (
            'No space left' in lines
            or getattr(err, 'errno', None) == errno.ENOSPC) else \
            (last or (str(err) if err else 'unknown error'))
        return OutputError(
            errno.ENOSPC if 'space' in reason else errno.EIO,
            f'could not write {self.path}: {reason} (ffmpeg exit status '
            f'{code}); the unfinished video was removed')

    def close(self) -> None:
        """Finish the file; raises :class:`OutputError` if ffmpeg failed.
        No file is written when no frame was given."""
        if self._proc is None:
            return
        try:
            self._proc.stdin.close()
        except OSError:
            pass
        if self._proc.wait() != 0:
            raise self._failure()
        self._proc = None
        self._log.close()

    def __enter__(self) -> 'Mp4Writer':
        return self

    def __exit__(self, *exc) -> None:
        self.close()
