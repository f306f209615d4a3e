# Copyright (c) mmtao contributors. All rights reserved.
import math
from typing import Optional, Sequence, Tuple

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmdet.structures.bbox import HorizontalBoxes, get_box_tensor

from mmtao.models.trackers.search_region import fit_window
from mmtao.registry import TRANSFORMS


@TRANSFORMS.register_module()
class SearchCrop(BaseTransform):
    """Crop a training frame the way the search region crops a test frame.

    At test time with a search region
    (:class:`~mmtao.models.trackers.SearchRegion`) the network sees a
    window of ``context`` object sizes around the object, resampled so the
    object is ``object_px`` input pixels across (magnified at most
    ``max_zoom`` x the whole-frame scale), at most ``input_size``, sides
    rounded up to ``size_divisor``; a window larger than the frame holds it
    at its top-left with zeros past it. This transform draws such a window
    around the frame's target box ``gt_bboxes[0]`` so that training sees
    test geometry: the object size in input pixels is drawn uniformly in
    ``object_px``, the context in ``context_range``, and the window centre
    is shifted by up to ``jitter`` object sizes per axis (the object moves
    between two test frames). The window is then moved (never resized) the
    least needed to keep the target box inside it, so the target is never
    lost; only a target longer than the window along an axis is cut there
    (as at test time), centred. Other boxes are clipped to the canvas and
    dropped when nothing of them is left, as mmdet's ``RandomCrop`` does.

    The output image is the window's part inside the frame (its zero
    padding is added by :class:`PackSOTPairInputs` and the data
    preprocessor, which keeps ``img_shape`` real, as the test crop does).
    Frames without boxes pass through unchanged, and so do frames not drawn
    (probability ``1 - prob``).

    Required keys: ``img``, ``gt_bboxes`` (target first), optional
    ``gt_masks``, ``gt_bboxes_labels``, ``gt_ignore_flags``.

    Modified keys: ``img``, ``img_shape``, ``gt_bboxes``, ``gt_masks``,
    ``gt_bboxes_labels``, ``gt_ignore_flags``.

    Added keys: ``search_crop`` (x0, y0, sx, sy): input = (frame - origin)
    * scale, in the frame's pixels before this transform.

    Args:
        prob (float): Probability of cropping a frame. Defaults to 1.
        input_size (Sequence[int]): (w, h) of the largest input.
            Defaults to (416, 320).
        object_px (Sequence[float]): (min, max) of the drawn target
            ``sqrt(w h)`` in input pixels. Defaults to (32, 128).
        context_range (Sequence[float]): (min, max) of the drawn window
            height in object sizes. Defaults to (3, 5).
        jitter (float): Largest shift of the window centre per axis, in
            object sizes. Defaults to 0.75.
        max_zoom (float): Largest magnification relative to the whole-frame
            scale ``min(w_in / W, h_in / H)``. Defaults to 4.
        size_divisor (int): Input sides are multiples of it (before the
            frame's end cuts them). Defaults to 32.
    """

    def __init__(self,
                 prob: float = 1.0,
                 input_size: Sequence[int] = (416, 320),
                 object_px: Sequence[float] = (32., 128.),
                 context_range: Sequence[float] = (3., 5.),
                 jitter: float = 0.75,
                 max_zoom: float = 4.0,
                 size_divisor: int = 32) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'SearchCrop: prob must be in [0, 1], got {prob}')
        if size_divisor < 1:
            raise ValueError('SearchCrop: size_divisor must be >= 1, got '
                             f'{size_divisor}')
        if len(input_size) != 2 or min(input_size) < size_divisor:
            raise ValueError('SearchCrop: input_size must be (w, h) of at '
                             f'least size_divisor={size_divisor} pixels, got '
                             f'{input_size}')
        if len(object_px) != 2 or not 0 < object_px[0] <= object_px[1]:
            raise ValueError('SearchCrop: object_px must be (min, max) with '
                             f'0 < min <= max, got {object_px}')
        if len(context_range) != 2 or \
                not 0 < context_range[0] <= context_range[1]:
            raise ValueError('SearchCrop: context_range must be (min, max) '
                             f'with 0 < min <= max, got {context_range}')
        if jitter < 0:
            raise ValueError(f'SearchCrop: jitter must be >= 0, got {jitter}')
        if max_zoom < 1:
            raise ValueError(
                f'SearchCrop: max_zoom must be >= 1, got {max_zoom}')
        self.prob = float(prob)
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.object_px = (float(object_px[0]), float(object_px[1]))
        self.context_range = (float(context_range[0]), float(context_range[1]))
        self.jitter = float(jitter)
        self.max_zoom = float(max_zoom)
        self.size_divisor = int(size_divisor)

    @cache_randomness
    def _draw(self) -> Optional[Tuple[float, float, float, float]]:
        """(object px, context, x shift, y shift in object sizes) or None
        when the frame is not cropped."""
        if np.random.rand() >= self.prob:
            return None
        return (np.random.uniform(*self.object_px),
                np.random.uniform(*self.context_range),
                np.random.uniform(-self.jitter, self.jitter),
                np.random.uniform(-self.jitter, self.jitter))

    def window(self, box: Sequence[float], frame_shape: Sequence[int],
               object_px: float, context: float,
               shift: Sequence[float]) -> Tuple[float, float, float, int, int]:
        """The window around a target, as ``SearchRegion.window`` lays it
        out for one object.

        Args:
            box (Sequence[float]): The target (x1, y1, x2, y2), frame pixels.
            frame_shape (Sequence[int]): (H, W) of the frame.
            object_px (float): Target ``sqrt(w h)`` in input pixels.
            context (float): Window height in object sizes.
            shift (Sequence[float]): Centre shift (x, y) in object sizes.

        Returns:
            tuple: ``(x0, y0, z, w_in, h_in)``: top-left corner (frame
            pixels), zoom (input pixels per frame pixel), input size.
        """
        h, w = frame_shape[:2]
        in_w, in_h = self.input_size
        # the target as far as it lies in the frame
        bx1, bx2 = min(max(box[0], 0.), w), min(max(box[2], 0.), w)
        by1, by2 = min(max(box[1], 0.), h), min(max(box[3], 0.), h)
        size = max(math.sqrt(max(bx2 - bx1, 0.) * max(by2 - by1, 0.)), 1.)
        cx = (bx1 + bx2) / 2 + shift[0] * size
        cy = (by1 + by2) / 2 + shift[1] * size
        eh = context * size
        ew = eh * in_w / in_h
        g = min(in_w / w, in_h / h)
        (x1, y1, x2, y2), z, w_in, h_in = fit_window(
            (cx - ew / 2, cy - eh / 2, cx + ew / 2, cy + eh / 2),
            min(object_px / size, g * self.max_zoom), frame_shape,
            self.input_size, self.size_divisor)
        x0 = self._place((x1 + x2 - w_in / z) / 2, w_in / z, w, bx1, bx2)
        y0 = self._place((y1 + y2 - h_in / z) / 2, h_in / z, h, by1, by2)
        return x0, y0, z, w_in, h_in

    @staticmethod
    def _place(start: float, span: float, length: float, b1: float,
               b2: float) -> float:
        """A window side inside the frame where it fits (else the frame at
        its start), moved the least needed to hold the target [b1, b2], or
        centred on a target longer than the window."""
        if span >= length:
            return 0.
        if b2 - b1 > span:
            start = (b1 + b2 - span) / 2
        else:
            start = min(max(start, b2 - span), b1)
        return min(max(start, 0.), length - span)

    def transform(self, results: dict) -> dict:
        """Crop one frame.

        Args:
            results (dict): A frame of a pair, after
                :class:`LoadPairAnnotations` (and any resize).

        Returns:
            dict: The frame, cropped around its target or unchanged.
        """
        draw = self._draw()
        boxes = results.get('gt_bboxes')
        if draw is None or boxes is None or len(boxes) == 0:
            return results
        img = results['img']
        h, w = img.shape[:2]
        box = get_box_tensor(boxes)[0].tolist()
        x0, y0, z, w_in, h_in = self.window(box, (h, w), draw[0], draw[1],
                                            draw[2:])
        # the window in whole frame pixels, resampled to the input scale;
        # only its part inside the frame is kept (the rest is padding)
        # (outward to whole pixels, so a target at the window's edge stays
        # whole)
        ix0, iy0 = int(math.floor(x0)), int(math.floor(y0))
        cw = max(int(math.ceil(x0 + w_in / z - 1e-6)) - ix0, 1)
        ch = max(int(math.ceil(y0 + h_in / z - 1e-6)) - iy0, 1)
        sx, sy = w_in / cw, h_in / ch
        xb, yb = min(ix0 + cw, w), min(iy0 + ch, h)
        out_w = min(max(int(round((xb - ix0) * sx)), 1), w_in)
        out_h = min(max(int(round((yb - iy0) * sy)), 1), h_in)
        # the exact scale of the kept part, shared by image, boxes and masks
        sx, sy = out_w / (xb - ix0), out_h / (yb - iy0)
        part = img[iy0:yb, ix0:xb]
        shrink = out_w * out_h < part.shape[0] * part.shape[1]
        results['img'] = mmcv.imresize(
            part, (out_w, out_h),
            interpolation='area' if shrink else 'bilinear')
        results['img_shape'] = (out_h, out_w)

        boxes = boxes.clone() if isinstance(boxes, HorizontalBoxes) else \
            HorizontalBoxes(get_box_tensor(boxes).clone())
        boxes.translate_([-ix0, -iy0])
        boxes.rescale_([sx, sy])
        boxes.clip_((out_h, out_w))
        # like RandomCrop: drop boxes with nothing left; the target stays
        # (the window was placed to hold it)
        keep = ((boxes.widths > 0) & (boxes.heights > 0)).numpy()
        keep[0] = True
        results['gt_bboxes'] = boxes[keep]
        for key in ('gt_bboxes_labels', 'gt_ignore_flags'):
            if results.get(key) is not None:
                results[key] = results[key][keep]
        if results.get('gt_masks') is not None:
            masks = results['gt_masks'][keep.nonzero()[0]]
            masks = masks.crop(np.array([ix0, iy0, xb, yb]))
            results['gt_masks'] = masks.resize((out_h, out_w))
        results['search_crop'] = (float(ix0), float(iy0), sx, sy)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'input_size={self.input_size}, object_px={self.object_px}, '
                f'context_range={self.context_range}, jitter={self.jitter}, '
                f'max_zoom={self.max_zoom}, '
                f'size_divisor={self.size_divisor})')
