# Copyright (c) mmtao contributors. All rights reserved.
"""Reading frames from a video file or an image folder, writing mp4.

imageio (with imageio-ffmpeg's bundled ffmpeg) does the codec work; this
module only gives both sources one interface and clear errors.
"""
import os
import os.path as osp
from typing import Iterator, List, Optional, Tuple

import numpy as np

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


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
    mmcv / mmdet pipelines. Folder frames are taken in sorted file-name order.
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
        self.source = source
        self.max_frames = max_frames
        self.start_frame = start_frame
        self.is_folder = osp.isdir(source)
        self.fps = 25.0
        if self.is_folder:
            self.frame_paths: List[str] = sorted(
                osp.join(source, f) for f in os.listdir(source)
                if f.lower().endswith(IMG_EXTENSIONS))
            if not self.frame_paths:
                raise ValueError(f'frame folder {source!r} holds no images '
                                 f'(expected files ending in '
                                 f'{", ".join(IMG_EXTENSIONS)})')
            if start_frame >= len(self.frame_paths):
                raise ValueError(
                    f'start frame {start_frame} is past the end of '
                    f'{source!r} ({len(self.frame_paths)} frames)')
        else:
            import imageio.v3 as iio
            try:
                meta = iio.immeta(source)
            except Exception as e:
                raise ValueError(f'cannot read video {source!r}: '
                                 f'{type(e).__name__}: '
                                 f'{str(e).splitlines()[0]}') from e
            self.fps = float(meta.get('fps') or 25.0)

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
        import imageio.v3 as iio
        index = -1
        frames = iio.imiter(self.source)
        while stop is None or index + 1 < stop:
            try:
                frame = next(frames)
            except StopIteration:
                break
            except Exception as e:
                raise FrameError(
                    index + 1, self.source,
                    f'could not be decoded ({type(e).__name__}: '
                    f'{str(e).splitlines()[0] if str(e) else ""})') from e
            index += 1
            if index < self.start_frame:
                continue
            if frame.ndim == 2:
                frame = np.repeat(frame[..., None], 3, axis=2)
            yield index, np.ascontiguousarray(frame[..., :3][..., ::-1])
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

    Args:
        path (str): Output file; its folder is created.
        fps (float): Frames per second. Defaults to 25.
    """

    def __init__(self, path: str, fps: float = 25.0) -> None:
        import imageio
        ensure_writable_dir(osp.dirname(osp.abspath(path)))
        self.path = path
        # macro_block_size=2: keep odd-free sizes as they are (yuv420p needs
        # even sizes; imageio pads to a multiple of this)
        self._writer = imageio.get_writer(
            path,
            fps=fps,
            codec='libx264',
            pixelformat='yuv420p',
            macro_block_size=2,
            ffmpeg_log_level='error')

    def write(self, frame_bgr: np.ndarray) -> None:
        self._writer.append_data(np.ascontiguousarray(frame_bgr[..., ::-1]))

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> 'Mp4Writer':
        return self

    def __exit__(self, *exc) -> None:
        self.close()
