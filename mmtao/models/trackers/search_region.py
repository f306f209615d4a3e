# Copyright (c) mmtao contributors. All rights reserved.
import math
from typing import Callable, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData
from torch import Tensor

from mmtao.registry import MODELS
from .window_geometry import fit_window, paste  # noqa: F401 (API)

# (x0, y0, zoom, input width, input height)
Window = Tuple[float, float, float, int, int]


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

    With K objects the input is by default one window holding every
    object's window (one backbone pass whatever K), at the smallest of
    their scales. Objects far apart or of very different sizes then share a
    large window at the smallest scale: a small object is seen at the scale
    of the largest one. With ``split_windows`` each object starts with its
    own window and two windows are merged (greedily, the largest saving
    first) only while one window holding both costs no more input pixels
    than the two, loses neither's scale and their scales differ by at most
    ``merge_zoom_ratio`` (:meth:`windows`): one backbone pass per group.

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
        conf_rel (float): With ``conf_rel > 0`` a track must also score at
            least ``conf_rel`` times the object's own running score (the
            mean of the scores of the tracks that moved its window, weight
            ``size_momentum``): an object the detector scores high does
            not drag its window to a blurred or half-right box scoring far
            below its usual, while a small object scored low all along
            still moves it. Defaults to 0 (off: ``conf_thr`` alone).
        growth (float): Window widening per frame without a confident
            track. Defaults to 1.5.
        size_momentum (float): Weight of a new confident size in the
            running object size. Defaults to 0.5.
        size_divisor (int): The input's sides are multiples of it.
            Defaults to 32.
        split_windows (bool): K objects in windows of their own, merged
            where that costs nothing (see above). Defaults to False (one
            window holding all).
        merge_zoom_ratio (float): Largest ratio of two windows' scales that
            may be merged. Defaults to 1.5.
    """

    def __init__(self,
                 input_size: Sequence[int] = (416, 320),
                 object_px: Sequence[float] = (32., 128.),
                 max_zoom: float = 4.0,
                 context: float = 4.0,
                 conf_thr: float = 0.3,
                 conf_rel: float = 0.0,
                 growth: float = 1.5,
                 size_momentum: float = 0.5,
                 size_divisor: int = 32,
                 split_windows: bool = False,
                 merge_zoom_ratio: float = 1.5) -> None:
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
        if not 0 <= conf_rel <= 1:
            raise ValueError('SearchRegion: conf_rel must be in [0, 1], got '
                             f'{conf_rel}')
        if merge_zoom_ratio < 1:
            raise ValueError('SearchRegion: merge_zoom_ratio must be >= 1, '
                             f'got {merge_zoom_ratio}')
        self.split_windows = bool(split_windows)
        self.merge_zoom_ratio = float(merge_zoom_ratio)
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.object_px = (float(object_px[0]), float(object_px[1]))
        self.max_zoom = float(max_zoom)
        self.context = float(context)
        self.conf_thr = float(conf_thr)
        self.conf_rel = float(conf_rel)
        self.growth = float(growth)
        self.size_momentum = float(size_momentum)
        self.size_divisor = int(size_divisor)
        self.centres: List[Tuple[float, float]] = []
        self.sizes: List[float] = []
        self.lost: List[int] = []
        # running score of the tracks that moved each window (None: none
        # yet, the first confident track sets it)
        self.ref_scores: List[Optional[float]] = []

    # ------------------------------------------------------------------ #
    # per-object state
    # ------------------------------------------------------------------ #
    def add(self, bboxes: Tensor) -> None:
        """Start objects at boxes known to be them, (n, 4) xyxy."""
        for box in bboxes.float().tolist():
            self.centres.append(((box[0] + box[2]) / 2, (box[1] + box[3]) / 2))
            self.sizes.append(self._size(box))
            self.lost.append(0)
            self.ref_scores.append(None)

    def restart(self, k: int, bbox: Tensor) -> None:
        """Object ``k`` is at ``bbox`` (a correction)."""
        box = bbox.float().tolist()
        self.centres[k] = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        self.sizes[k] = self._size(box)
        self.lost[k] = 0
        self.ref_scores[k] = None

    def update(self, bboxes: Tensor, scores: Tensor) -> None:
        """After a frame: confident tracks move their windows (and the
        running size), the others count one more frame lost."""
        m = self.size_momentum
        for k, (box, score) in enumerate(
                zip(bboxes.float().tolist(), scores.float().tolist())):
            ref = self.ref_scores[k]
            if score >= self.conf_thr and (ref is None
                                           or score >= self.conf_rel * ref):
                self.centres[k] = ((box[0] + box[2]) / 2,
                                   (box[1] + box[3]) / 2)
                self.sizes[k] = (1 - m) * self.sizes[k] + m * self._size(box)
                self.lost[k] = 0
                self.ref_scores[k] = score if ref is None else (
                    (1 - m) * ref + m * score)
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
               boxes: Optional[Tensor] = None,
               objects: Optional[Sequence[int]] = None) -> Window:
        """The window of the coming frame.

        Args:
            frame_shape (Sequence[int]): (H, W) of the original frame.
            boxes (Tensor, optional): (n, 4) boxes the window must also
                hold (objects being added or corrected).
            objects (Sequence[int], optional): The objects it holds.
                Defaults to all.

        Returns:
            tuple: ``(x0, y0, z, w_in, h_in)``: the window's top-left corner
            in frame pixels, its zoom (input pixels per frame pixel) and the
            input size; it spans ``(w_in / z, h_in / z)`` frame pixels.
        """
        rects, zooms = self._rects(frame_shape, objects)
        if boxes is not None:
            for box in boxes.float().tolist():
                rects.append(box)
                zooms.append(self.zoom(self._size(box), frame_shape))
        if not rects:
            g = self.whole_frame_scale(frame_shape)
            return 0., 0., g, self.input_size[0], self.input_size[1]
        return self._placed(self._fit(rects, zooms, frame_shape), frame_shape)

    def windows(self, frame_shape: Sequence[int]
                ) -> List[Tuple[List[int], Window]]:
        """The windows of the coming frame and the objects each holds.

        One window holding all objects (:meth:`window`) unless
        ``split_windows``: then every object starts in its own window and
        the pair of windows whose merge saves the most input pixels is
        merged while a merge costs no more pixels than the two windows,
        keeps both windows' zoom (a window holding both need not be shrunk
        to fit the input) and their zooms differ by at most
        ``merge_zoom_ratio``.

        Returns:
            list[tuple]: ``(objects, window)`` per window, ordered by their
            first object; every object is in exactly one.
        """
        num = len(self.centres)
        if not self.split_windows or num < 2:
            return [(list(range(num)), self.window(frame_shape))]
        rects, zooms = self._rects(frame_shape)
        groups = [([k], [rects[k]], [zooms[k]]) for k in range(num)]
        fits = [self._fit(r, z, frame_shape) for _, r, z in groups]
        while len(groups) > 1:
            best = None
            for i in range(len(groups)):
                for j in range(i + 1, len(groups)):
                    fit = self._fit(groups[i][1] + groups[j][1],
                                    groups[i][2] + groups[j][2], frame_shape)
                    saving = self._merge_saving(fits[i], fits[j], fit)
                    if saving is not None and (best is None
                                               or saving > best[0]):
                        best = (saving, i, j, fit)
            if best is None:
                break
            _, i, j, fit = best
            groups[i] = tuple(a + b for a, b in zip(groups[i], groups[j]))
            fits[i] = fit
            del groups[j], fits[j]
        out = [(sorted(g[0]), self._placed(fit, frame_shape))
               for g, fit in zip(groups, fits)]
        return sorted(out, key=lambda item: item[0][0])

    def _merge_saving(self, a: tuple, b: tuple,
                      merged: tuple) -> Optional[float]:
        """Input pixels saved by one window ``merged`` instead of the
        windows ``a`` and ``b`` (fits of :meth:`_fit`), or None when it may
        not replace them (it costs more, or loses either's zoom, or their
        zooms are too far apart)."""
        za, zb, zm = a[1], b[1], merged[1]
        lo, hi = min(za, zb), max(za, zb)
        if zm < lo * (1 - 1e-6) or hi > lo * self.merge_zoom_ratio:
            return None
        saving = a[2] * a[3] + b[2] * b[3] - merged[2] * merged[3]
        return None if saving < 0 else float(saving)

    def _rects(self, frame_shape: Sequence[int],
               objects: Optional[Sequence[int]] = None
               ) -> Tuple[List[tuple], List[float]]:
        """Each object's wanted window (x1, y1, x2, y2) and zoom."""
        in_w, in_h = self.input_size
        objects = range(len(self.centres)) if objects is None else objects
        rects, zooms = [], []
        for k in objects:
            (cx, cy), size = self.centres[k], self.sizes[k]
            eh = self.context * size * self.growth**self.lost[k]
            ew = eh * in_w / in_h
            rects.append((cx - ew / 2, cy - eh / 2, cx + ew / 2, cy + eh / 2))
            zooms.append(self.zoom(size, frame_shape))
        return rects, zooms

    def _fit(self, rects: List[tuple], zooms: List[float],
             frame_shape: Sequence[int]) -> tuple:
        """:func:`fit_window` of one window holding ``rects`` at the
        smallest of ``zooms`` (the window must still fit the input)."""
        return fit_window(
            (min(r[0] for r in rects), min(r[1] for r in rects),
             max(r[2] for r in rects), max(r[3] for r in rects)), min(zooms),
            frame_shape, self.input_size, self.size_divisor)

    def _placed(self, fit: tuple, frame_shape: Sequence[int]) -> Window:
        """The window of a :meth:`_fit`, centred on its part in the frame
        and kept inside the frame where it fits."""
        (x1, y1, x2, y2), z, w_in, h_in = fit
        h, w = frame_shape[:2]
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
