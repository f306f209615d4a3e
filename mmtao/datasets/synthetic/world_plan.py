# Copyright (c) mmtao contributors. All rights reserved.
"""Planning a synthetic sequence: where every object and the camera are.

The plan data (:class:`_ObjectPlan`, :class:`_SequencePlan`), the motion
helpers shared by the worlds (eased keyframes, camera paths) and
:class:`ClassicPlanner`, the six-class world's planner. Rendering is
:mod:`.world_render`, writing :mod:`.world_writer`.
"""
import math
import zlib
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

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
    # the target left in its own photo (context_render.ContextTarget): it
    # replaces the background and the target's paste; None: all pasted
    context: Optional[object] = None
    # context_render.Blend for every paste (None: hard edges)
    blend: Optional[object] = None
    # sensor noise sigma over whole frames, and its seed
    noise: float = 0.0
    noise_seed: int = 0


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


class ClassicPlanner:
    """Plans the sequences of the classic six-class world (a mixin of
    :class:`~.world_generator.SyntheticWorldGenerator`: uses its
    ``img_size``, ``num_frames``, ``seed``, ``split`` and probabilities)."""

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
