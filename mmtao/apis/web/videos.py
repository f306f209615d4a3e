# Copyright (c) mmtao contributors. All rights reserved.
"""Videos behind the browser demo: sniffing, probing, frames, box checks.

Framework-free, so the checks are testable without a server. Every message
raised here is shown on the page, so none holds a server path.
"""
import math
import os.path as osp
import re
from dataclasses import dataclass
from typing import List, Optional, Sequence

import numpy as np


class InputError(ValueError):
    """Bad input from the page; the message is shown to the user."""


class NotFoundError(InputError):
    """An unknown video or job (HTTP 404)."""


#: container signatures -> the extension imageio / ffmpeg read it by
_SIGNATURES = (
    (4, b'ftyp', '.mp4'),  # mp4, mov, m4v, 3gp: ISO base media
    (0, b'\x1a\x45\xdf\xa3', '.mkv'),  # matroska, webm
    (0, b'OggS', '.ogv'),
    (0, b'FLV', '.flv'),
    (0, b'\x00\x00\x01\xba', '.mpg'),
    (0, b'\x30\x26\xb2\x75', '.wmv'),  # ASF
)
VIDEO_EXTENSIONS = ('.mp4', '.mov', '.m4v', '.avi', '.mkv', '.webm', '.ogv',
                    '.flv', '.mpg', '.mpeg', '.wmv', '.ts', '.3gp', '.gif')


def sniff_extension(head: bytes, filename: str) -> str:
    """The extension to store an upload under, from its first bytes.

    imageio picks its reader by the file's extension, so a valid mp4 named
    ``clip`` or ``box.txt`` needs one: the container's signature decides;
    else the user's extension when it is a video one; else ``.mp4`` (ffmpeg
    probes the content itself).

    Args:
        head (bytes): The first bytes of the file (>= 12).
        filename (str): The name the user gave.
    """
    if head[:4] == b'RIFF' and head[8:12] == b'AVI ':
        return '.avi'
    for offset, magic, ext in _SIGNATURES:
        if head[offset:offset + len(magic)] == magic:
            return ext
    ext = osp.splitext(osp.basename(filename or ''))[1].lower()
    return ext if ext in VIDEO_EXTENSIONS else '.mp4'


_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][^\\/\s'\"():,]+){2,}[\\/]?")


def public_message(text: str, names: Optional[dict] = None) -> str:
    """First line of ``text`` without server paths.

    Args:
        text (str): A message, maybe from imageio / ffmpeg.
        names (dict, optional): ``{path: shown_name}`` replacements made
            first (an upload's path -> the user's file name).
    """
    line = str(text).strip().splitlines()[0] if str(text).strip() else ''
    for path, name in (names or {}).items():
        line = line.replace(path, name)
    return _PATH.sub(lambda m: osp.basename(m.group(0).rstrip('/\\')) or
                     '<path>', line)


@dataclass
class VideoInfo:
    """A video the page can track in (the embedded clip or an upload)."""
    video_id: str
    path: str
    name: str
    num_frames: int
    width: int
    height: int
    fps: float

    def to_dict(self) -> dict:
        return dict(
            video_id=self.video_id,
            name=self.name,
            num_frames=self.num_frames,
            width=self.width,
            height=self.height,
            fps=self.fps)


def safe_stem(filename: str) -> str:
    """File name stem of ``filename`` with only ``[A-Za-z0-9._-]`` kept."""
    stem = osp.splitext(osp.basename(filename))[0]
    stem = re.sub(r'[^A-Za-z0-9._-]+', '_', stem).strip('._')
    return stem[:80] or 'video'


def read_frame(path: str, index: int) -> np.ndarray:
    """Frame ``index`` of the video at ``path`` as BGR uint8 (H, W, 3)."""
    import imageio.v3 as iio
    try:
        frame = iio.imread(path, index=index)
    except (IndexError, StopIteration):
        raise InputError(f'frame {index} is past the end of the video')
    if frame.ndim == 2:
        frame = np.repeat(frame[..., None], 3, axis=2)
    return np.ascontiguousarray(frame[..., :3][..., ::-1])


def probe_video(path: str, name: str, video_id: str,
                max_pixels: Optional[int] = None) -> VideoInfo:
    """Check that ``path`` is a video of at least two frames, not larger
    than ``max_pixels`` per frame (read from its header, before decoding).

    Raises:
        InputError: naming the file (``name``) and what is wrong with it.
    """
    import imageio.v3 as iio
    from mmtao.utils.video_io import FrameReader
    try:
        size = iio.immeta(path).get('size')
        if max_pixels and size and size[0] * size[1] > max_pixels:
            raise InputError(
                f'{name!r} has {size[0]}x{size[1]} frames, more than this '
                f'server takes ({max_pixels / 1e6:.1f} megapixels, e.g. '
                '3840x2160): downscale it first, e.g. ffmpeg -i IN -vf '
                'scale=1280:-2 OUT.mp4 (or start the server with '
                '--max-megapixels)')
        reader = FrameReader(path)
        num_frames = len(reader)
        first = read_frame(path, 0)
    except InputError:
        raise
    except Exception as e:  # imageio / ffmpeg raise many kinds
        reason = public_message(str(e) or type(e).__name__, {path: name})
        raise InputError(f'{name!r} is not a video that ffmpeg can read '
                         f'({reason})') from e
    h, w = first.shape[:2]
    if max_pixels and w * h > max_pixels:  # a header without a size
        raise InputError(f'{name!r} has {w}x{h} frames, more than this '
                         f'server takes ({max_pixels / 1e6:.1f} megapixels)')
    if num_frames < 2:
        raise InputError(f'{name!r} has {num_frames} frame(s); a video to '
                         'track in needs at least 2')
    return VideoInfo(video_id, path, name, int(num_frames), w, h,
                     float(reader.fps))


def check_boxes(boxes: Sequence, width: int, height: int,
                max_objects: int) -> List[List[float]]:
    """Validate boxes ``[x, y, w, h]`` drawn on a ``width`` x ``height``
    frame.

    Returns:
        list: The boxes as floats.

    Raises:
        InputError: no box, too many, an empty box or one outside the frame.
    """
    if not boxes:
        raise InputError('no box: drag a box around the object on the frame')
    if len(boxes) > max_objects:
        raise InputError(f'{len(boxes)} boxes: at most {max_objects} '
                         'objects at a time')
    return [check_box(box, k, width, height) for k, box in enumerate(boxes)]


def check_box(box, k: int, width: int, height: int) -> List[float]:
    """One box ``[x, y, w, h]`` of object ``k`` (0-based, as on the page).
    """
    try:
        x, y, w, h = (float(v) for v in box)
    except (TypeError, ValueError):
        raise InputError(f'object {k}: expected four numbers x,y,w,h, '
                         f'got {str(box)[:60]}')
    if not all(math.isfinite(v) for v in (x, y, w, h)):
        raise InputError(f'object {k}: {box!r} is not finite')
    if w < 2 or h < 2:
        raise InputError(f'object {k}: the box is empty ({w:g}x{h:g} px): '
                         'drag a box around the object')
    # half a pixel of slack for rounding in the page
    if x < -0.5 or y < -0.5 or x + w > width + 0.5 or y + h > height + 0.5:
        raise InputError(f'object {k}: the box (x={x:g}, y={y:g}, w={w:g}, '
                         f'h={h:g}) is outside the {width}x{height} frame')
    return [x, y, w, h]
