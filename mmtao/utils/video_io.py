# Copyright (c) mmtao contributors. All rights reserved.
"""Reading frames from a video file or an image folder, writing mp4.

imageio (with imageio-ffmpeg's bundled ffmpeg) does the codec work; this
module only gives both sources one interface and clear errors.
"""
import os
import os.path as osp
from typing import Iterator, List, Optional

import numpy as np

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


class FrameReader:
    """Frames of a video file (mp4, avi, ...) or of a folder of images.

    Frames come out as BGR uint8 arrays of shape (H, W, 3), the convention of
    mmcv / mmdet pipelines. Folder frames are taken in sorted file-name order.

    Args:
        source (str): Path of a video file or of a folder of images.
        max_frames (int, optional): Stop after this many frames.
    """

    def __init__(self, source: str, max_frames: Optional[int] = None) -> None:
        if not osp.exists(source):
            raise FileNotFoundError(f'video or frame folder not found: '
                                    f'{source!r}')
        self.source = source
        self.max_frames = max_frames
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
        else:
            import imageio.v3 as iio
            try:
                meta = iio.immeta(source)
            except Exception as e:
                raise ValueError(f'cannot read video {source!r}: '
                                 f'{type(e).__name__}: '
                                 f'{str(e).splitlines()[0]}') from e
            self.fps = float(meta.get('fps') or 25.0)

    def __iter__(self) -> Iterator[np.ndarray]:
        import cv2
        count = 0
        if self.is_folder:
            for path in self.frame_paths:
                if self.max_frames is not None and count >= self.max_frames:
                    return
                img = cv2.imread(path, cv2.IMREAD_COLOR)
                if img is None:
                    raise ValueError(f'frame {path!r} could not be decoded '
                                     'as an image')
                count += 1
                yield img
            return
        import imageio.v3 as iio
        for frame in iio.imiter(self.source):
            if self.max_frames is not None and count >= self.max_frames:
                return
            if frame.ndim == 2:
                frame = np.repeat(frame[..., None], 3, axis=2)
            count += 1
            yield np.ascontiguousarray(frame[..., :3][..., ::-1])

    def __len__(self) -> int:
        """Number of frames (exact for folders, ffmpeg's count for videos)."""
        if self.is_folder:
            n = len(self.frame_paths)
        else:
            import imageio_ffmpeg
            n = imageio_ffmpeg.count_frames_and_secs(self.source)[0]
        return n if self.max_frames is None else min(n, self.max_frames)


class Mp4Writer:
    """Write BGR frames to an H.264 mp4 (yuv420p, plays everywhere).

    Args:
        path (str): Output file; its folder is created.
        fps (float): Frames per second. Defaults to 25.
    """

    def __init__(self, path: str, fps: float = 25.0) -> None:
        import imageio
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
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
