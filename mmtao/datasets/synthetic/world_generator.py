# Copyright (c) mmtao contributors. All rights reserved.
"""Synthetic tracking world: real cut-outs with exact masks on real photos.

See :class:`SyntheticWorldGenerator`; the command line is
``tools/misc/make_synthetic_world.py``.
"""
import configparser
import io
import json
import math
import os
import os.path as osp
import zlib
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.utils import ProgressBar

from .sprite_bank import (CATEGORIES, Sprite, build_background_bank,
                          build_sprite_bank)

TARGET_ID = 1


@dataclass
class _ObjectPlan:
    """Where one object is in every frame of a sequence."""
    obj_id: int
    sprite: Sprite
    category: Optional[str]  # None: an unlabelled occluder (photo patch)
    cx: np.ndarray  # (F, ) centre x in pixels
    cy: np.ndarray  # (F, )
    size: np.ndarray  # (F, ) longest side of the sprite in pixels
    angle: np.ndarray  # (F, ) degrees, counter-clockwise
    z: float  # drawing order: larger is nearer the camera

    def matrix(self, t: int) -> np.ndarray:
        """Affine map from sprite pixels to frame pixels at frame ``t``."""
        h, w = self.sprite.img.shape[:2]
        scale = self.size[t] / self.sprite.long_side
        mat = cv2.getRotationMatrix2D((w / 2, h / 2), float(self.angle[t]),
                                      float(scale))
        mat[0, 2] += self.cx[t] - w / 2
        mat[1, 2] += self.cy[t] - h / 2
        return mat

    def amodal_area(self, t: int) -> float:
        """Object area in pixels as if nothing hid it (affine area scale)."""
        return self.sprite.area * (self.size[t] / self.sprite.long_side)**2


@dataclass
class _SequencePlan:
    background: np.ndarray
    camera: np.ndarray  # (F, 2, 3) affine maps background -> frame
    objects: List[_ObjectPlan]
    gain: np.ndarray  # (F, 3) per-channel illumination gain
    blur: Dict[int, np.ndarray] = field(default_factory=dict)  # t -> kernel
    # a moving background (video frames, one per output frame), else None
    bg_frames: Optional[List[np.ndarray]] = None


def _keyframe_times(rng: np.random.Generator, num_frames: int,
                    gap: Tuple[int, int]) -> np.ndarray:
    times = [0]
    while times[-1] < num_frames - 1:
        times.append(
            min(num_frames - 1,
                times[-1] + int(rng.integers(gap[0], gap[1] + 1))))
    return np.asarray(times)


def _ease(times: np.ndarray, values: np.ndarray,
          num_frames: int) -> np.ndarray:
    """Cosine-eased interpolation of keyframe values (K, ...) to (F, ...)."""
    values = np.asarray(values, np.float64)
    if len(times) == 1:
        return np.repeat(values[:1], num_frames, axis=0)
    t = np.arange(num_frames)
    k = np.clip(np.searchsorted(times, t, side='right') - 1, 0, len(times) - 2)
    t0, t1 = times[k], times[k + 1]
    u = (t - t0) / np.maximum(t1 - t0, 1)
    u = (1 - np.cos(np.pi * u)) / 2
    u = u.reshape((-1, ) + (1, ) * (values.ndim - 1))
    return values[k] * (1 - u) + values[k + 1] * u


def _camera_path(rng: np.random.Generator, bg_shape: Tuple[int, int],
                 img_size: Tuple[int, int], num_frames: int,
                 gap: Tuple[int, int], min_zoom: float) -> np.ndarray:
    """A panning, zooming crop of a background of ``bg_shape`` (h, w).

    Returns:
        np.ndarray: (F, 2, 3) affine maps from background to frame pixels.
    """
    (bh, bw), (W, H) = bg_shape, img_size
    cam_times = _keyframe_times(rng, num_frames, gap)
    zmax = min(bw / W, bh / H)
    zooms = rng.uniform(min_zoom * zmax, zmax, len(cam_times))
    x0s = rng.uniform(0, 1, len(cam_times)) * (bw - zooms * W)
    y0s = rng.uniform(0, 1, len(cam_times)) * (bh - zooms * H)
    cam = _ease(cam_times, np.stack([zooms, x0s, y0s], 1), num_frames)
    camera = np.zeros((num_frames, 2, 3))
    camera[:, 0, 0] = camera[:, 1, 1] = 1 / cam[:, 0]
    camera[:, 0, 2] = -cam[:, 1] / cam[:, 0]
    camera[:, 1, 2] = -cam[:, 2] / cam[:, 0]
    return camera


def _jitter_colour(sprite: Sprite, rng: np.random.Generator) -> Sprite:
    """A look-alike copy: small hue shift and brightness change."""
    hsv = cv2.cvtColor(sprite.img, cv2.COLOR_BGR2HSV).astype(np.int16)
    hsv[..., 0] = (hsv[..., 0] + int(rng.integers(-8, 9))) % 180
    hsv[..., 2] = np.clip(hsv[..., 2] * rng.uniform(0.8, 1.2), 0, 255)
    img = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR)
    return Sprite(sprite.name + '_lookalike', sprite.category, img,
                  sprite.mask, sprite.area)


def _flip(sprite: Sprite) -> Sprite:
    return Sprite(sprite.name, sprite.category,
                  np.ascontiguousarray(sprite.img[:, ::-1]),
                  np.ascontiguousarray(sprite.mask[:, ::-1]), sprite.area)


def _cover_level(ratio: float) -> int:
    """GOT-10k cover level: 0 = 0 %, 1..7 = (0,15], ..., (90,100) %, 8 =
    fully visible (ratio >= 0.98, the tolerance of resampling)."""
    if ratio <= 0:
        return 0
    if ratio >= 0.98:
        return 8
    return int(min(7, max(1, math.ceil(ratio / 0.15))))


class SyntheticWorldGenerator:
    """Writes GOT-10k-layout sequences with exact masks and a COCO json.

    Each sequence shows one target (a real cut-out from
    :mod:`mmtao.datasets.synthetic.sprite_bank`) moving over a crop of a real
    background photo, with:

    - motion, scale change and rotation (cosine-eased keyframes every 12-30
      frames) and a slowly panning/zooming camera (the background moves);
    - 0-2 distractors of the target's category (another coin, another
      horse, or a colour-jittered copy of a one-of-a-kind object), drawn in
      front of or behind the target;
    - an occluder (another object or a patch of a photo) crossing the
      target, large enough for full occlusion in some sequences;
    - leaving the frame and re-entering (one keyframe pair outside the
      image);
    - motion blur along the target's motion for a few frames, and smooth
      global illumination changes.

    Frame 0 always shows the whole target (cover level 8), as tracking
    benchmarks require.

    Ground truth per frame, all derived from the rendered per-pixel object
    map (so it is exact for the pixels written, before blur and JPEG):

    - ``masks/%08d.png``: uint8 0/255, the target's visible pixels.
    - ``groundtruth.txt``: ``x,y,w,h`` of the tight box of that mask
      (``w = x2 - x1`` with ``x2`` one past the last column); ``0,0,0,0`` when
      the target is absent.
    - ``absence.label``: 1 when fewer than ``min_visible_px`` target pixels
      are visible (left the frame or fully occluded), else 0.
    - ``cover.label``: GOT-10k's 0-8 visible-ratio level, visible pixels over
      the un-occluded, un-cropped area; 8 means at least 98 % visible.
    - ``cut_by_image.label``: 1 when the rotated sprite's extent crosses the
      image border.
    - ``meta_info.ini``: object class, resolution and seed.

    The COCO json (``annotations/coco.json``) lists every
    ``coco_interval``-th frame with all labelled objects that have at least
    ``min_visible_px`` visible pixels (target and distractors, and occluders
    that are objects), with RLE masks of their visible pixels, tight boxes
    and ``area`` = visible pixels. ``file_name`` is relative to the output
    directory. Each annotation also carries ``instance_id`` (unique per
    object and sequence).

    Randomness comes only from ``numpy.random.default_rng`` seeded with
    ``(seed, crc32(split), sequence index)``: the same arguments give
    byte-identical annotation files, whatever the number of workers.

    Args:
        img_size (tuple[int, int]): Frame (width, height). Defaults to
            (320, 240).
        num_frames (int): Frames per sequence. Defaults to 50.
        seed (int): Base seed. Defaults to 0.
        split (str): Split name, used in sequence names
            (``SYN_<Split>_000001``) and in the seed. Defaults to 'train'.
        max_distractors (int): At most this many distractors. Defaults to 2.
        p_leave (float): Probability that the target leaves the frame and
            comes back. Defaults to 0.3.
        p_occluder (float): Probability of an occluder crossing the target.
            Defaults to 0.6.
        p_blur (float): Probability of motion-blur bursts. Defaults to 0.4.
        p_illumination (float): Probability of illumination change.
            Defaults to 0.5.
        min_visible_px (int): Fewer visible pixels count as absent. Defaults
            to 20.
        coco_interval (int): Every how many frames an image enters the COCO
            json. Defaults to 1.
        jpeg_quality (int): JPEG quality of the frames. Defaults to 90.
    """

    #: class names of the COCO json (ids are 1-based positions)
    categories: Tuple[str, ...] = CATEGORIES

    def __init__(self,
                 img_size: Tuple[int, int] = (320, 240),
                 num_frames: int = 50,
                 seed: int = 0,
                 split: str = 'train',
                 max_distractors: int = 2,
                 p_leave: float = 0.3,
                 p_occluder: float = 0.6,
                 p_blur: float = 0.4,
                 p_illumination: float = 0.5,
                 min_visible_px: int = 20,
                 coco_interval: int = 1,
                 jpeg_quality: int = 90) -> None:
        if len(img_size) != 2 or min(img_size) < 32:
            raise ValueError('img_size must be (width, height) with both '
                             f'sides >= 32, got {img_size}')
        if num_frames < 1:
            raise ValueError(f'num_frames must be >= 1, got {num_frames}')
        if not split or not split.replace('_', '').isalnum():
            raise ValueError('split must be a non-empty alphanumeric name, '
                             f'got {split!r}')
        if coco_interval < 1:
            raise ValueError(
                f'coco_interval must be >= 1, got {coco_interval}')
        for name, p in (('p_leave', p_leave), ('p_occluder', p_occluder),
                        ('p_blur', p_blur), ('p_illumination',
                                             p_illumination)):
            if not 0 <= p <= 1:
                raise ValueError(f'{name} must be in [0, 1], got {p}')
        self.img_size = (int(img_size[0]), int(img_size[1]))
        self.num_frames = int(num_frames)
        self.seed = int(seed)
        self.split = split
        self.max_distractors = int(max_distractors)
        self.p_leave = p_leave
        self.p_occluder = p_occluder
        self.p_blur = p_blur
        self.p_illumination = p_illumination
        self.min_visible_px = int(min_visible_px)
        self.coco_interval = int(coco_interval)
        self.jpeg_quality = int(jpeg_quality)

    # ------------------------------------------------------------------ plan
    def seq_name(self, seq_idx: int) -> str:
        return f'SYN_{self.split.capitalize()}_{seq_idx + 1:06d}'

    def _rng(self, seq_idx: int) -> np.random.Generator:
        return np.random.default_rng(
            [self.seed, zlib.crc32(self.split.encode()), seq_idx])

    def _object_track(self, rng: np.random.Generator, base_size: float,
                      margin: float, max_rot: float):
        W, H = self.img_size
        F = self.num_frames
        times = _keyframe_times(rng, F, (12, 30))
        K = len(times)
        short = min(W, H)
        sizes = base_size * np.exp(rng.uniform(np.log(0.65), np.log(1.5), K))
        sizes[0] = base_size
        sizes = np.clip(sizes, 0.08 * short, 0.7 * short)
        xs = rng.uniform(margin * W, (1 - margin) * W, K)
        ys = rng.uniform(margin * H, (1 - margin) * H, K)
        angles = rng.uniform(-max_rot, max_rot, K)
        angles[0] = rng.uniform(-15, 15)
        return times, xs, ys, sizes, angles

    def _plan(self, rng: np.random.Generator) -> _SequencePlan:
        W, H = self.img_size
        F = self.num_frames
        short = min(W, H)
        bank = build_sprite_bank()
        backgrounds = build_background_bank()

        # Camera: a moving, zooming crop of one background photo.
        bg = backgrounds[int(rng.integers(len(backgrounds)))]
        if rng.random() < 0.5:
            bg = np.ascontiguousarray(bg[:, ::-1])
        camera = _camera_path(rng, bg.shape[:2], self.img_size, F, (20, 40),
                              0.6)

        # Target.
        category = CATEGORIES[int(rng.integers(len(CATEGORIES)))]
        pool = bank[category]
        t_idx = int(rng.integers(len(pool)))
        sprite = pool[t_idx]
        if rng.random() < 0.5:
            sprite = _flip(sprite)
        spins = category in ('coin', 'logo') and rng.random() < 0.5
        max_rot = 180.0 if spins else 30.0
        base = rng.uniform(0.18, 0.42) * short
        times, xs, ys, sizes, angles = self._object_track(
            rng, base, 0.2, max_rot)
        if rng.random() < self.p_leave and len(times) >= 4:
            # Two consecutive keyframes outside the image: the target leaves,
            # stays out for a while, and comes back.
            k = int(rng.integers(1, len(times) - 2))
            side = int(rng.integers(4))
            for j in (k, k + 1):
                out = 0.75 * sizes[j]
                if side == 0:
                    xs[j] = -out
                elif side == 1:
                    xs[j] = W + out
                elif side == 2:
                    ys[j] = -out
                else:
                    ys[j] = H + out
        target = _ObjectPlan(TARGET_ID, sprite, category, _ease(times, xs, F),
                             _ease(times, ys, F), _ease(times, sizes, F),
                             _ease(times, angles, F), 0.0)
        objects = [target]

        # Look-alike distractors of the same category.
        num_d = int(rng.choice([0, 1, 2], p=[0.3, 0.4, 0.3]))
        for _ in range(min(num_d, self.max_distractors)):
            if len(pool) > 1:
                j = int(rng.integers(len(pool) - 1))
                d_sprite = pool[j + (j >= t_idx)]
            else:
                d_sprite = _jitter_colour(pool[0], rng)
            if rng.random() < 0.5:
                d_sprite = _flip(d_sprite)
            d_times, dx, dy, dsz, dang = self._object_track(
                rng, base * rng.uniform(0.8, 1.25), 0.1, max_rot)
            objects.append(
                _ObjectPlan(
                    len(objects) + 1, d_sprite, category,
                    _ease(d_times, dx, F), _ease(d_times, dy, F),
                    _ease(d_times, dsz, F), _ease(d_times, dang, F),
                    float(rng.choice([-1.0, 1.0]))))

        # An occluder crossing the target at frame t_occ.
        if F >= 8 and rng.random() < self.p_occluder:
            t_occ = int(rng.integers(F // 4, F - 1))
            if rng.random() < 0.5:
                others = [c for c in CATEGORIES if c != category]
                o_cat = others[int(rng.integers(len(others)))]
                o_pool = bank[o_cat]
                o_sprite = o_pool[int(rng.integers(len(o_pool)))]
            else:
                o_cat, o_sprite = None, self._photo_patch(rng, backgrounds)
            o_size = target.size[t_occ] * rng.uniform(0.9, 2.2)
            duration = int(rng.integers(6, 21))
            travel = 2.0 * (o_size + target.size[t_occ])
            theta = rng.uniform(0, 2 * np.pi)
            t = np.arange(F) - t_occ
            step = t * travel / duration
            ocx = target.cx[t_occ] + np.cos(theta) * step
            ocy = target.cy[t_occ] + np.sin(theta) * step
            o_angle = rng.uniform(-30, 30) + rng.uniform(-1, 1) * t
            objects.append(
                _ObjectPlan(
                    len(objects) + 1, o_sprite, o_cat, ocx, ocy,
                    np.full(F, o_size), o_angle, 2.0))

        # Illumination: eased per-channel gain (one colour cast per sequence).
        cast = rng.uniform(0.9, 1.1, 3)
        if rng.random() < self.p_illumination:
            g_times = _keyframe_times(rng, F, (10, 30))
            gains = _ease(g_times, rng.uniform(0.6, 1.4, len(g_times)), F)
        else:
            gains = np.ones(F)
        plan = _SequencePlan(bg, camera, sorted(objects, key=lambda o: o.z),
                             gains[:, None] * cast[None])

        # Motion blur bursts along the target's motion.
        if rng.random() < self.p_blur:
            for _ in range(int(rng.integers(1, 4))):
                start = int(rng.integers(1, max(2, F)))
                length = int(rng.integers(5, 16))
                for t in range(start, min(F, start + int(rng.integers(3, 9)))):
                    dx = target.cx[t] - target.cx[t - 1]
                    dy = target.cy[t] - target.cy[t - 1]
                    if abs(dx) + abs(dy) < 1e-3:
                        dx = 1.0
                    plan.blur[t] = self._line_kernel(length, dx, dy)
        return plan

    @staticmethod
    def _photo_patch(rng: np.random.Generator,
                     backgrounds: Sequence[np.ndarray]) -> Sprite:
        """An unlabelled occluder: a rectangle or disc cut from a photo."""
        photo = backgrounds[int(rng.integers(len(backgrounds)))]
        ph, pw = photo.shape[:2]
        w = int(rng.integers(40, min(pw, 200)))
        h = int(rng.integers(40, min(ph, 200)))
        x0, y0 = int(rng.integers(pw - w + 1)), int(rng.integers(ph - h + 1))
        img = np.ascontiguousarray(photo[y0:y0 + h, x0:x0 + w])
        mask = np.full((h, w), 255, np.uint8)
        if rng.random() < 0.5:
            mask[:] = 0
            cv2.ellipse(mask, (w // 2, h // 2), (w // 2, h // 2), 0, 0, 360,
                        255, -1)
        return Sprite('photo_patch', 'patch', img, mask, int((mask > 0).sum()))

    @staticmethod
    def _line_kernel(length: int, dx: float, dy: float) -> np.ndarray:
        kernel = np.zeros((length, length), np.float32)
        c = (length - 1) / 2
        n = math.hypot(dx, dy)
        ux, uy = dx / n * c, dy / n * c
        cv2.line(kernel, (round(c - ux), round(c - uy)),
                 (round(c + ux), round(c + uy)), 1.0, 1)
        return kernel / kernel.sum()

    # ---------------------------------------------------------------- render
    def render_frame(self, plan: _SequencePlan,
                     t: int) -> Tuple[np.ndarray, np.ndarray]:
        """Render frame ``t``.

        Returns:
            tuple[np.ndarray, np.ndarray]: The BGR frame (H, W, 3) uint8 and
            the object map (H, W) uint8 (0 = background, else ``obj_id`` of
            the nearest object covering the pixel).
        """
        W, H = self.img_size
        background = plan.background if plan.bg_frames is None else \
            plan.bg_frames[t % len(plan.bg_frames)]
        frame = cv2.warpAffine(
            background,
            plan.camera[t], (W, H),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REFLECT)
        obj_map = np.zeros((H, W), np.uint8)
        for obj in plan.objects:
            mat = obj.matrix(t)
            h, w = obj.sprite.img.shape[:2]
            corners = mat @ np.array(
                [[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64).T
            x0 = max(0, int(np.floor(corners[0].min())))
            y0 = max(0, int(np.floor(corners[1].min())))
            x1 = min(W, int(np.ceil(corners[0].max())))
            y1 = min(H, int(np.ceil(corners[1].max())))
            if x1 <= x0 or y1 <= y0:
                continue
            mat[:, 2] -= (x0, y0)
            size = (x1 - x0, y1 - y0)
            img = cv2.warpAffine(
                obj.sprite.img, mat, size, flags=cv2.INTER_LINEAR)
            on = cv2.warpAffine(
                obj.sprite.mask, mat, size, flags=cv2.INTER_LINEAR) >= 128
            frame[y0:y1, x0:x1][on] = img[on]
            obj_map[y0:y1, x0:x1][on] = obj.obj_id
        lut = np.clip(
            np.arange(256, dtype=np.float64)[:, None] * plan.gain[t][None], 0,
            255).astype(np.uint8)
        frame = cv2.LUT(frame, lut.reshape(256, 1, 3))
        if t in plan.blur:
            frame = cv2.filter2D(frame, -1, plan.blur[t])
        return frame, obj_map

    def _is_truncated(self, obj: _ObjectPlan, t: int) -> bool:
        W, H = self.img_size
        h, w = obj.sprite.img.shape[:2]
        corners = obj.matrix(t) @ np.array(
            [[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64).T
        return bool(corners[0].min() < 0 or corners[1].min() < 0
                    or corners[0].max() > W or corners[1].max() > H)

    def plan_sequence(self, seq_idx: int) -> _SequencePlan:
        """The plan of sequence ``seq_idx``, re-drawn until frame 0 shows the
        whole target inside the image (deterministic)."""
        rng = self._rng(seq_idx)
        for _ in range(100):
            plan = self._plan(rng)
            target = next(o for o in plan.objects if o.obj_id == TARGET_ID)
            _, obj_map = self.render_frame(plan, 0)
            visible = int((obj_map == TARGET_ID).sum())
            if not self._is_truncated(target, 0) and \
                    visible >= 0.98 * target.amodal_area(0):
                return plan
        raise RuntimeError(f'could not plan sequence {seq_idx} with a fully '
                           'visible first frame in 100 draws; is img_size '
                           f'{self.img_size} very small?')

    # ----------------------------------------------------------------- write
    def write_sequence(self, out_dir: str, seq_idx: int) -> Dict[str, list]:
        """Render and write one sequence.

        Returns:
            dict: ``images`` and ``annotations`` COCO entries of this
            sequence with ids local to it (``image_id`` = frame index,
            annotation ``id`` = 0); :meth:`generate` renumbers them.
        """
        W, H = self.img_size
        name = self.seq_name(seq_idx)
        seq_dir = osp.join(out_dir, name)
        os.makedirs(osp.join(seq_dir, 'masks'), exist_ok=True)
        plan = self.plan_sequence(seq_idx)
        target = next(o for o in plan.objects if o.obj_id == TARGET_ID)
        labelled = [o for o in plan.objects if o.category is not None]
        gt, absence, cover, cut = [], [], [], []
        images, annotations = [], []
        jpeg = [int(cv2.IMWRITE_JPEG_QUALITY), self.jpeg_quality]
        for t in range(self.num_frames):
            frame, obj_map = self.render_frame(plan, t)
            file_name = f'{t + 1:08d}'
            cv2.imwrite(osp.join(seq_dir, file_name + '.jpg'), frame, jpeg)
            mask = (obj_map == TARGET_ID).astype(np.uint8)
            visible = int(mask.sum())
            if visible < self.min_visible_px:
                mask[:] = 0
                gt.append('0.0000,0.0000,0.0000,0.0000')
                absence.append(1)
                cover.append(0)
            else:
                x, y, w, h = cv2.boundingRect(mask)
                gt.append(f'{x:.4f},{y:.4f},{w:.4f},{h:.4f}')
                absence.append(0)
                cover.append(_cover_level(visible / target.amodal_area(t)))
            cut.append(int(self._is_truncated(target, t)))
            cv2.imwrite(
                osp.join(seq_dir, 'masks', file_name + '.png'), mask * 255)
            if t % self.coco_interval:
                continue
            images.append(
                dict(
                    id=t,
                    file_name=f'{name}/{file_name}.jpg',
                    width=W,
                    height=H,
                    video=name,
                    frame_id=t))
            counts = np.bincount(obj_map.ravel(), minlength=256)
            for obj in labelled:
                if counts[obj.obj_id] < self.min_visible_px:
                    continue
                obj_mask = np.asfortranarray(
                    (obj_map == obj.obj_id).astype(np.uint8))
                annotations.append(
                    self._coco_ann(obj_mask, t, obj, int(counts[obj.obj_id]),
                                   f'{name}/{obj.obj_id}'))
        for fname, lines in (('groundtruth.txt', gt), ('absence.label',
                                                       absence),
                             ('cover.label', cover), ('cut_by_image.label',
                                                      cut)):
            with open(osp.join(seq_dir, fname), 'w') as f:
                f.write('\n'.join(str(v) for v in lines) + '\n')
        meta = configparser.ConfigParser()
        meta['METAINFO'] = dict(
            object_class=target.category,
            sprite=target.sprite.name,
            resolution=f'({W}, {H})',
            seed=str(self.seed),
            split=self.split,
            source=self.source_note(plan))
        buf = io.StringIO()
        meta.write(buf)
        with open(osp.join(seq_dir, 'meta_info.ini'), 'w') as f:
            f.write(buf.getvalue())
        return dict(
            images=images,
            annotations=annotations,
            identities=[o.sprite.name for o in plan.objects])

    def warm_up(self) -> None:
        """Load what every sequence needs (before worker processes fork)."""
        build_sprite_bank()
        build_background_bank()

    def source_note(self, plan: _SequencePlan) -> str:
        """The ``source`` line of ``meta_info.ini``."""
        return 'mmtao synthetic world (scikit-image photos)'

    def _coco_ann(self, mask: np.ndarray, t: int, obj: _ObjectPlan, area: int,
                  instance: str) -> dict:
        from pycocotools import mask as mask_utils
        rle = mask_utils.encode(mask)
        rle['counts'] = rle['counts'].decode('ascii')
        x, y, w, h = cv2.boundingRect(mask)
        return dict(
            id=0,
            image_id=t,
            category_id=self.categories.index(obj.category) + 1,
            bbox=[x, y, w, h],
            area=area,
            iscrowd=0,
            segmentation=rle,
            instance_id=instance)

    def _written_results(self, out_dir: str) -> List[Dict[str, list]]:
        """Per-sequence results of a world already in ``out_dir`` (as
        :meth:`write_sequence` returned them), read back from its files."""
        paths = [
            osp.join(out_dir, 'list.txt'),
            osp.join(out_dir, 'annotations', 'coco.json'),
            osp.join(out_dir, 'annotations', 'identities.json')
        ]
        if not all(osp.isfile(p) for p in paths):
            return []
        with open(paths[0]) as f:
            names = [line.strip() for line in f if line.strip()]
        with open(paths[1]) as f:
            coco = json.load(f)
        with open(paths[2]) as f:
            identities = json.load(f)
        info = coco.get('info', {})
        mine = dict(seed=self.seed, split=self.split,
                    num_frames=self.num_frames, img_size=list(self.img_size))
        if any(info.get(k) != v for k, v in mine.items()) or names != [
                self.seq_name(i) for i in range(len(names))
        ] or [c['name'] for c in coco['categories']] != list(self.categories):
            raise ValueError(
                f'{out_dir} holds another world ({info}); extending needs the '
                f'same arguments ({mine})')
        results = {n: dict(images=[], annotations=[], identities=identities[n])
                   for n in names}
        frame_of = {}
        for img in coco['images']:
            frame_of[img['id']] = (img['video'], img['frame_id'])
            results[img['video']]['images'].append(
                dict(img, id=img['frame_id']))
        for ann in coco['annotations']:
            video, frame = frame_of[ann['image_id']]
            results[video]['annotations'].append(
                dict(ann, id=0, image_id=frame))
        return [results[n] for n in names]

    def generate(self,
                 out_dir: str,
                 num_videos: int,
                 num_workers: int = 1,
                 progress: bool = False,
                 extend: bool = False) -> str:
        """Write ``num_videos`` sequences, ``list.txt`` and the COCO json.

        Args:
            out_dir (str): Output directory (created).
            num_videos (int): Number of sequences.
            num_workers (int): Processes rendering sequences in parallel; the
                output does not depend on it. Defaults to 1.
            progress (bool): Show mmengine's progress bar. Defaults to False.
            extend (bool): Keep the sequences of a world already written in
                ``out_dir`` by the same arguments and render only the missing
                ones: the result equals a fresh run with ``num_videos``.
                Defaults to False.

        Returns:
            str: Path of ``annotations/coco.json``.
        """
        if num_videos < 1:
            raise ValueError(f'num_videos must be >= 1, got {num_videos}')
        os.makedirs(osp.join(out_dir, 'annotations'), exist_ok=True)
        results = self._written_results(out_dir)[:num_videos] \
            if extend else []
        todo = range(len(results), num_videos)
        # Build the banks before forking so workers share them.
        self.warm_up()
        bar = ProgressBar(len(todo)) if progress and len(todo) else None
        if num_workers > 1:
            with get_context('fork').Pool(num_workers) as pool:
                for res in pool.imap(_WriteSequence(self, out_dir), todo):
                    results.append(res)
                    if bar is not None:
                        bar.update()
        else:
            for i in todo:
                results.append(self.write_sequence(out_dir, i))
                if bar is not None:
                    bar.update()
        with open(osp.join(out_dir, 'list.txt'), 'w') as f:
            f.write('\n'.join(self.seq_name(i)
                              for i in range(num_videos)) + '\n')
        images, annotations = [], []
        for res in results:
            remap = {}
            for img in res['images']:
                remap[img['id']] = len(images) + 1
                images.append(dict(img, id=len(images) + 1))
            for ann in res['annotations']:
                annotations.append(
                    dict(
                        ann,
                        id=len(annotations) + 1,
                        image_id=remap[ann['image_id']]))
        coco = dict(
            info=dict(
                description='mmtao synthetic world',
                seed=self.seed,
                split=self.split,
                num_frames=self.num_frames,
                img_size=list(self.img_size)),
            images=images,
            annotations=annotations,
            categories=[
                dict(id=i + 1, name=c, supercategory='object')
                for i, c in enumerate(self.categories)
            ])
        path = osp.join(out_dir, 'annotations', 'coco.json')
        with open(path, 'w') as f:
            json.dump(coco, f, separators=(',', ':'))
        # which object identities each sequence shows (split checks)
        with open(osp.join(out_dir, 'annotations', 'identities.json'),
                  'w') as f:
            json.dump({
                self.seq_name(i): res['identities']
                for i, res in enumerate(results)
            },
                      f,
                      indent=0)
        return path


class _WriteSequence:
    """Picklable ``seq_idx -> write_sequence`` for a process pool."""

    def __init__(self, generator: SyntheticWorldGenerator,
                 out_dir: str) -> None:
        self.generator = generator
        self.out_dir = out_dir

    def __call__(self, seq_idx: int) -> Dict[str, list]:
        return self.generator.write_sequence(self.out_dir, seq_idx)
