# Copyright (c) mmtao contributors. All rights reserved.
import math
from typing import Callable, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData
from torch import Tensor

from mmtao.registry import MODELS

# (x0, y0, zoom, input width, input height)
Window = Tuple[float, float, float, int, int]


def fit_window(rect: Sequence[float], zoom: float, frame_shape: Sequence[int],
               input_size: Sequence[int], size_divisor: int
               ) -> Tuple[Tuple[float, float, float, float], float, int, int]:
    """The part of a window inside the frame and the input it becomes.

    Args:
        rect (Sequence[float]): The window (x1, y1, x2, y2), frame pixels.
        zoom (float): The wanted input pixels per frame pixel.
        frame_shape (Sequence[int]): (H, W) of the frame.
        input_size (Sequence[int]): (w, h) of the largest input.
        size_divisor (int): The input's sides are multiples of it.

    Returns:
        tuple: ``((x1, y1, x2, y2), z, w_in, h_in)``: the window clipped to
        the frame, the zoom lowered where that part would not fit
        ``input_size``, and the input size (that part at ``z``, sides
        rounded up to ``size_divisor``, at most ``input_size``).
    """
    h, w = frame_shape[:2]
    in_w, in_h = input_size
    x1, y1 = max(rect[0], 0.), max(rect[1], 0.)
    x2, y2 = min(rect[2], float(w)), min(rect[3], float(h))
    span_w, span_h = max(x2 - x1, 1.), max(y2 - y1, 1.)
    z = min(zoom, in_w / span_w, in_h / span_h)
    d = size_divisor
    w_in = min(int(math.ceil(span_w * z / d - 1e-6)) * d, in_w)
    h_in = min(int(math.ceil(span_h * z / d - 1e-6)) * d, in_h)
    return (x1, y1, x2, y2), z, w_in, h_in


@MODELS.register_module()
class SearchRegion:
    """Where the network looks: a window around the objects instead of the
    whole frame, with small and large objects brought to sizes the network
    knows.

    The paper's tracker runs the network on the whole frame: a look-alike
    anywhere can take the track, and an object is seen at whatever size it
    has in the video (a face filling the frame is boxed as a part, a fish
    of 8 pixels is missed). With a search region the input is a window of
    ``context`` object sizes around where each object was last seen
    confidently (Siamese trackers' search area), at the whole-frame view's
    scale while the object's ``sqrt(w h)`` there lies in ``object_px``,
    else scaled to the nearest bound (magnified at most ``max_zoom`` x the
    whole-frame scale). The first frame's templates are taken the same way.
    While an object is not seen confidently its window widens by ``growth``
    per frame, up to the whole frame (the paper's re-detection anywhere).
    The input is the window's size at that scale, rounded up to
    ``size_divisor`` and at most ``input_size`` (the whole-frame view's):
    a small window costs less than the whole frame.

    With K objects the input is one window holding every object's window
    (one backbone pass whatever K), at the smallest of their scales.

    Coordinates: boxes of the tracker are in original frame pixels; the
    frame tensor the tracker receives is the test pipeline's (scale factor
    ``(fx, fy)`` from the original); the window is resampled from it (area
    averaging when shrinking). Windows stay inside the frame where they
    fit; one larger than the frame holds it at its top-left, the rest zero
    (the normalised mean colour), as the padded whole frame.

    Args:
        input_size (Sequence[int]): (w, h) of the largest input, the whole
            frame's view. Defaults to (416, 320).
        object_px (Sequence[float]): (min, max) ``sqrt(w h)`` of an object
            in the input. Defaults to (32, 128).
        max_zoom (float): Largest magnification relative to the whole-frame
            scale ``min(w_in / W, h_in / H)``. Defaults to 4.
        context (float): Window height in object sizes (its width follows
            ``input_size``'s aspect ratio). Defaults to 4.
        conf_thr (float): Presence score from which a track moves the
            window and updates the object's size. Defaults to 0.3.
        growth (float): Window widening per frame without a confident
            track. Defaults to 1.5.
        size_momentum (float): Weight of a new confident size in the
            running object size. Defaults to 0.5.
        size_divisor (int): The input's sides are multiples of it.
            Defaults to 32.
    """

    def __init__(self,
                 input_size: Sequence[int] = (416, 320),
                 object_px: Sequence[float] = (32., 128.),
                 max_zoom: float = 4.0,
                 context: float = 4.0,
                 conf_thr: float = 0.3,
                 growth: float = 1.5,
                 size_momentum: float = 0.5,
                 size_divisor: int = 32) -> None:
        if len(input_size) != 2 or min(input_size) < size_divisor:
            raise ValueError('SearchRegion: input_size must be (w, h) of at '
                             f'least {size_divisor} pixels, got {input_size}')
        if not 0 < object_px[0] <= object_px[1] or max_zoom < 1:
            raise ValueError('SearchRegion: need 0 < object_px min <= max '
                             f'and max_zoom >= 1, got {object_px}, {max_zoom}')
        if context <= 0 or growth < 1 or not 0 < size_momentum <= 1:
            raise ValueError(
                'SearchRegion: need context > 0, growth >= 1 and 0 < '
                f'size_momentum <= 1, got {context}, {growth}, '
                f'{size_momentum}')
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.object_px = (float(object_px[0]), float(object_px[1]))
        self.max_zoom = float(max_zoom)
        self.context = float(context)
        self.conf_thr = float(conf_thr)
        self.growth = float(growth)
        self.size_momentum = float(size_momentum)
        self.size_divisor = int(size_divisor)
        self.centres: List[Tuple[float, float]] = []
        self.sizes: List[float] = []
        self.lost: List[int] = []

    # ------------------------------------------------------------------ #
    # per-object state
    # ------------------------------------------------------------------ #
    def add(self, bboxes: Tensor) -> None:
        """Start objects at boxes known to be them, (n, 4) xyxy."""
        for box in bboxes.float().tolist():
            self.centres.append(((box[0] + box[2]) / 2, (box[1] + box[3]) / 2))
            self.sizes.append(self._size(box))
            self.lost.append(0)

    def restart(self, k: int, bbox: Tensor) -> None:
        """Object ``k`` is at ``bbox`` (a correction)."""
        box = bbox.float().tolist()
        self.centres[k] = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        self.sizes[k] = self._size(box)
        self.lost[k] = 0

    def update(self, bboxes: Tensor, scores: Tensor) -> None:
        """After a frame: confident tracks move their windows (and the
        running size), the others count one more frame lost."""
        m = self.size_momentum
        for k, (box, score) in enumerate(
                zip(bboxes.float().tolist(), scores.float().tolist())):
            if score >= self.conf_thr:
                self.centres[k] = ((box[0] + box[2]) / 2,
                                   (box[1] + box[3]) / 2)
                self.sizes[k] = (1 - m) * self.sizes[k] + m * self._size(box)
                self.lost[k] = 0
            else:
                self.lost[k] += 1

    @staticmethod
    def _size(box: Sequence[float]) -> float:
        return max(math.sqrt(max(box[2] - box[0], 0) *
                             max(box[3] - box[1], 0)), 1.0)

    # ------------------------------------------------------------------ #
    # windows
    # ------------------------------------------------------------------ #
    def whole_frame_scale(self, frame_shape: Sequence[int]) -> float:
        """Input pixels per frame pixel of the whole-frame view."""
        h, w = frame_shape[:2]
        return min(self.input_size[0] / w, self.input_size[1] / h)

    def zoom(self, size: float, frame_shape: Sequence[int]) -> float:
        """Input pixels per frame pixel for an object of ``sqrt(w h)`` =
        ``size`` frame pixels."""
        g = self.whole_frame_scale(frame_shape)
        lo, hi = self.object_px
        return min(min(max(g * size, lo), hi) / size, g * self.max_zoom)

    def window(self,
               frame_shape: Sequence[int],
               boxes: Optional[Tensor] = None) -> Window:
        """The window of the coming frame.

        Args:
            frame_shape (Sequence[int]): (H, W) of the original frame.
            boxes (Tensor, optional): (n, 4) boxes the window must also
                hold (objects being added or corrected).

        Returns:
            tuple: ``(x0, y0, z, w_in, h_in)``: the window's top-left corner
            in frame pixels, its zoom (input pixels per frame pixel) and the
            input size; it spans ``(w_in / z, h_in / z)`` frame pixels.
        """
        h, w = frame_shape[:2]
        in_w, in_h = self.input_size
        rects, zooms = [], []
        for (cx, cy), size, lost in zip(self.centres, self.sizes, self.lost):
            eh = self.context * size * self.growth**lost
            ew = eh * in_w / in_h
            rects.append((cx - ew / 2, cy - eh / 2, cx + ew / 2, cy + eh / 2))
            zooms.append(self.zoom(size, frame_shape))
        if boxes is not None:
            for box in boxes.float().tolist():
                rects.append(box)
                zooms.append(self.zoom(self._size(box), frame_shape))
        if not rects:
            g = self.whole_frame_scale(frame_shape)
            return 0., 0., g, in_w, in_h
        # the smallest scale (the window must still fit the largest input)
        (x1, y1, x2, y2), z, w_in, h_in = fit_window(
            (min(r[0] for r in rects), min(r[1] for r in rects),
             max(r[2] for r in rects), max(r[3] for r in rects)), min(zooms),
            frame_shape, self.input_size, self.size_divisor)
        x0 = self._place((x1 + x2 - w_in / z) / 2, w_in / z, w)
        y0 = self._place((y1 + y2 - h_in / z) / 2, h_in / z, h)
        return x0, y0, z, w_in, h_in

    @staticmethod
    def _place(start: float, span: float, length: float) -> float:
        """A window side inside the frame where it fits, else the frame at
        its start (the padded whole frame's layout)."""
        if span >= length:
            return 0.
        return min(max(start, 0.), length - span)

    # ------------------------------------------------------------------ #
    # crops and coordinates
    # ------------------------------------------------------------------ #
    def crop(self, img: Tensor, frame_meta: dict,
             window: Window) -> Tuple[Tensor, dict]:
        """Resample a window of the pipeline's frame into the input.

        Args:
            img (Tensor): The preprocessed frame (1, 3, H_in, W_in) of the
                test pipeline (its real part ``frame_meta['img_shape']``).
            frame_meta (dict): Its meta (``ori_shape``, ``scale_factor``).
            window (tuple): ``(x0, y0, z, w_in, h_in)`` of :meth:`window`.

        Returns:
            tuple: The input (1, 3, h_in, w_in) and its meta for the model:
            ``img_shape`` the input up to where the frame ends on the right
            / bottom, ``ori_shape`` the window's size in frame pixels,
            ``scale_factor`` frame -> input, ``crop_origin`` (x0, y0) and
            ``frame_shape`` (H, W) in frame pixels.
        """
        x0, y0, z, in_w, in_h = window
        fx, fy = (float(s) for s in frame_meta['scale_factor'][:2])
        th, tw = (int(s) for s in frame_meta['img_shape'][:2])
        # the window on the pipeline's tensor, in whole pixels
        tx0, ty0 = int(math.floor(x0 * fx)), int(math.floor(y0 * fy))
        tcw = max(int(round(in_w / z * fx)), 1)
        tch = max(int(round(in_h / z * fy)), 1)
        sx, sy = in_w / tcw, in_h / tch
        out = img.new_zeros(1, img.size(1), in_h, in_w)
        xa, xb = max(tx0, 0), min(tx0 + tcw, tw)
        ya, yb = max(ty0, 0), min(ty0 + tch, th)
        if xb > xa and yb > ya:
            ox1, ox2 = round((xa - tx0) * sx), round((xb - tx0) * sx)
            oy1, oy2 = round((ya - ty0) * sy), round((yb - ty0) * sy)
            if ox2 > ox1 and oy2 > oy1:
                part = img[:, :, ya:yb, xa:xb]
                if (oy2 - oy1, ox2 - ox1) != tuple(part.shape[-2:]):
                    part = F.interpolate(
                        part, (oy2 - oy1, ox2 - ox1),
                        mode='bilinear',
                        align_corners=False,
                        antialias=(oy2 - oy1) < part.size(-2))
                out[:, :, oy1:oy2, ox1:ox2] = part
        # the frame ends inside the window on the right / bottom: boxes and
        # template negatives stay inside it, as on a padded whole frame
        valid = (min(in_h, max(round((th - ty0) * sy), 1)),
                 min(in_w, max(round((tw - tx0) * sx), 1)))
        meta = dict(
            img_shape=valid,
            pad_shape=(in_h, in_w),
            batch_input_shape=(in_h, in_w),
            ori_shape=(max(int(round(tch / fy)), 1),
                       max(int(round(tcw / fx)), 1)),
            scale_factor=(sx * fx, sy * fy),
            crop_origin=(tx0 / fx, ty0 / fy),
            frame_shape=tuple(int(s) for s in frame_meta['ori_shape'][:2]))
        for key in ('frame_id', 'img_path', 'video_id'):
            if key in frame_meta:
                meta[key] = frame_meta[key]
        return out, meta

    @staticmethod
    def to_frame(candidates: List[InstanceData], masks: Optional[Callable],
                 meta: dict) -> Tuple[List[InstanceData], Optional[Callable]]:
        """Candidates in window pixels -> frame pixels (boxes shifted by
        the window's origin and clipped to the frame; masks pasted into
        frame-sized masks)."""
        ox, oy = meta['crop_origin']
        h, w = meta['frame_shape']
        shift = torch.tensor([ox, oy, ox, oy])
        out = []
        for cands in candidates:
            cands = cands.clone()
            if len(cands):
                b = cands.bboxes + shift.to(cands.bboxes)
                b[:, 0::2] = b[:, 0::2].clamp(0, w)
                b[:, 1::2] = b[:, 1::2].clamp(0, h)
                cands.bboxes = b
            if 'masks' in cands:
                cands.masks = paste(cands.masks, ox, oy, h, w)
            out.append(cands)
        if masks is None:
            return out, None

        def frame_masks(obj_inds, cand_inds):
            return paste(masks(obj_inds, cand_inds), ox, oy, h, w)

        return out, frame_masks


def paste(masks: Tensor, ox: float, oy: float, h: int, w: int) -> Tensor:
    """Masks (n, hc, wc) of a window at ``(ox, oy)`` -> (n, h, w) masks of
    the frame (outside the window: off)."""
    x0, y0 = int(round(ox)), int(round(oy))
    n, hc, wc = masks.shape
    out = masks.new_zeros(n, h, w)
    xa, xb = max(x0, 0), min(x0 + wc, w)
    ya, yb = max(y0, 0), min(y0 + hc, h)
    if xb > xa and yb > ya:
        out[:, ya:yb, xa:xb] = masks[:, ya - y0:yb - y0, xa - x0:xb - x0]
    return out
