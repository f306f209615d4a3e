# Copyright (c) mmtao contributors. All rights reserved.
"""The any-object world: thousands of identities and the hard cases."""
from typing import List, Optional, Tuple

import cv2
import numpy as np

from .identity_bank import IdentityBank, PhotoBank
from .sprite_bank import Sprite
from .world_generator import (TARGET_ID, SyntheticWorldGenerator,
                              _camera_path, _ease, _flip, _jitter_colour,
                              _keyframe_times, _ObjectPlan, _SequencePlan)


class AnyObjectWorldGenerator(SyntheticWorldGenerator):
    """A synthetic world whose objects have no classes to memorise.

    Same layout, ground truth and determinism as
    :class:`SyntheticWorldGenerator`, but every object is an identity of an
    :class:`~mmtao.datasets.synthetic.identity_bank.IdentityBank` (regions of
    real photos cut along segment boundaries, photo-filled blobs and
    polygons, real cut-outs) and the COCO json has one class, ``object``:
    the detection half of joint training learns objectness for anything
    with an outline, as COCO's 80 classes do for the paper's model.

    The hard cases, each drawn often on purpose:

    - sizes from ``min_size_frac`` to ``max_size_frac`` of the short side
      (log-uniform; 0.05-0.67 = 24-320 px at 640x480) and a 0.5-2x scale
      change within the sequence;
    - in-plane rotation up to 180 degrees (``p_spin``);
    - erratic motion (short keyframe gaps), jumps (a keyframe pair one frame
      apart) and motion blur along them;
    - same-kind distractors: colour-jittered copies, near-copies (other
      regions of the same photo, cut the same way) and unrelated identities,
      whose paths cross the target's;
    - a holder (``p_holder``): another object glued to the target, moving and
      turning with it, in front of or behind it — a hand holding a bottle;
    - full occlusion by a crossing occluder, leaving and re-entering the
      frame, illumination change, camera pan/zoom, and moving video
      backgrounds when the photo bank has clips.

    Args:
        photo_root (str, optional): Output of
            ``tools/misc/prepare_world_photos.py``; None uses scikit-image's
            photos only. Defaults to None.
        pool (str, optional): Identity/photo pool, ``'train'`` or ``'val'``.
            Defaults to ``'train'`` when ``split == 'train'``, else ``'val'``
            (so a val split never shows a train photo); give ``'train'`` to
            a val split to measure *seen* identities.
        num_identities (int): Size of the identity pool. Defaults to 3000.
        identity_seed (int): Seed of the identity pool (not of the
            sequences). Defaults to 0.
        min_size_frac (float): Smallest target (longest side) as a fraction
            of the frame's short side. Defaults to 0.05.
        max_size_frac (float): Largest. Defaults to 0.67.
        p_spin (float): Probability of rotation up to 180 degrees.
            Defaults to 0.35.
        p_erratic (float): Probability of erratic motion. Defaults to 0.3.
        p_jump (float): Probability of 1-2 jumps. Defaults to 0.25.
        p_holder (float): Probability of a holder. Defaults to 0.3.
        p_clip (float): Probability of a moving video background when the
            photo bank has clips. Defaults to 0.2.
        **kwargs: :class:`SyntheticWorldGenerator`'s arguments.
    """

    categories = ('object', )
    #: clip file names the world never reads
    exclude_clips: Tuple[str, ...] = ()

    def __init__(self,
                 photo_root: Optional[str] = None,
                 pool: Optional[str] = None,
                 num_identities: int = 3000,
                 identity_seed: int = 0,
                 min_size_frac: float = 0.05,
                 max_size_frac: float = 0.67,
                 p_spin: float = 0.35,
                 p_erratic: float = 0.3,
                 p_jump: float = 0.25,
                 p_holder: float = 0.3,
                 p_clip: float = 0.2,
                 **kwargs) -> None:
        kwargs.setdefault('max_distractors', 3)
        kwargs.setdefault('p_occluder', 0.5)
        super().__init__(**kwargs)
        if num_identities < 1:
            raise ValueError(
                f'num_identities must be >= 1, got {num_identities}')
        if not 0 < min_size_frac < max_size_frac <= 1:
            raise ValueError('need 0 < min_size_frac < max_size_frac <= 1, '
                             f'got {min_size_frac}, {max_size_frac}')
        self.photo_root = photo_root
        self.pool = pool or ('train' if self.split == 'train' else 'val')
        self.num_identities = int(num_identities)
        self.identity_seed = int(identity_seed)
        self.min_size_frac = min_size_frac
        self.max_size_frac = max_size_frac
        self.p_spin = p_spin
        self.p_erratic = p_erratic
        self.p_jump = p_jump
        self.p_holder = p_holder
        self.p_clip = p_clip
        self._bank: Optional[IdentityBank] = None
        self._seq_idx = 0
        # the identity order of the targets, drawn once (not per plan draw)
        self._target_order = np.random.default_rng(
            [self.identity_seed, 7]).permutation(self.num_identities)

    # ----------------------------------------------------------- the pool
    @property
    def bank(self) -> IdentityBank:
        if self._bank is None:
            self._bank = IdentityBank(
                PhotoBank(self.pool, self.photo_root, self.exclude_clips),
                self.identity_seed)
        return self._bank

    def warm_up(self) -> None:
        photos = self.bank.photos
        for i in range(len(photos)):
            photos.photo(i)
        for i in range(len(photos.clips)):
            photos.clip(i)

    def source_note(self, plan: _SequencePlan) -> str:
        return (f'mmtao any-object world, identity pool {self.pool!r} '
                f'({self.num_identities} identities, '
                f'{len(self.bank.photos)} photos)')

    def plan_sequence(self, seq_idx: int) -> _SequencePlan:
        # sequence i's target is identity perm[i]: distinct targets across
        # the first num_identities sequences of a split
        self._seq_idx = seq_idx
        return super().plan_sequence(seq_idx)

    def _identity(self,
                  rng: np.random.Generator,
                  target: bool = False) -> Tuple[int, Sprite]:
        if target:
            index = int(self._target_order[self._seq_idx %
                                           self.num_identities])
        else:
            index = int(rng.integers(self.num_identities))
        sprite = self.bank.identity(index)
        if rng.random() < 0.5:
            sprite = _flip(sprite)
        return index, sprite

    # ----------------------------------------------------------- motion
    def _track(self, rng: np.random.Generator, base: float, margin: float,
               max_rot: float, erratic: bool, jumps: int):
        W, H = self.img_size
        F = self.num_frames
        short = min(W, H)
        times = _keyframe_times(rng, F, (3, 8) if erratic else (10, 28))
        K = len(times)
        sizes = base * np.exp(rng.uniform(np.log(0.5), np.log(2.0), K))
        sizes[0] = base
        sizes = np.clip(sizes, max(8.0, 0.6 * self.min_size_frac * short),
                        0.9 * short)
        xs = rng.uniform(margin * W, (1 - margin) * W, K)
        ys = rng.uniform(margin * H, (1 - margin) * H, K)
        angles = rng.uniform(-max_rot, max_rot, K)
        angles[0] = rng.uniform(-15, 15)
        if max_rot > 90:  # spinning: keep turning in one direction
            angles = angles[0] + np.cumsum(
                np.r_[0, rng.uniform(20, 90, K - 1)]) * rng.choice([-1, 1])
        cx, cy = _ease(times, xs, F), _ease(times, ys, F)
        for _ in range(jumps if F >= 6 else 0):
            # a jump: from frame t_j on, the object follows another path
            t_j = int(rng.integers(2, F - 2))
            j_times = _keyframe_times(rng, F, (3, 8) if erratic else (10, 28))
            jx = _ease(j_times, rng.uniform(margin * W, (1 - margin) * W,
                                            len(j_times)), F)
            jy = _ease(j_times, rng.uniform(margin * H, (1 - margin) * H,
                                            len(j_times)), F)
            cx = np.where(np.arange(F) < t_j, cx, jx)
            cy = np.where(np.arange(F) < t_j, cy, jy)
        return cx, cy, _ease(times, sizes, F), _ease(times, angles, F)

    # ----------------------------------------------------------- plan
    def _plan(self, rng: np.random.Generator) -> _SequencePlan:
        F = self.num_frames
        photos = self.bank.photos

        # Camera: a moving, zooming crop of a photo or of a clip's frames.
        bg_frames = None
        if photos.clips and rng.random() < self.p_clip:
            frames = photos.clip(int(rng.integers(len(photos.clips))))
            start = int(rng.integers(max(1, len(frames) - F)))
            bg_frames = frames[start:start + F]
            bg = bg_frames[0]
        else:
            bg = photos.photo(int(rng.integers(len(photos))))
        if rng.random() < 0.5:
            bg = np.ascontiguousarray(bg[:, ::-1])
            if bg_frames is not None:
                bg_frames = [np.ascontiguousarray(f[:, ::-1]) for f in bg_frames]
        camera = _camera_path(rng, bg.shape[:2], self.img_size, F, (15, 40),
                              0.5)
        target, t_index, max_rot = self._plan_target(rng)
        objects = [target] + self._plan_others(rng, target, t_index, max_rot)
        return self._finish_plan(rng, bg, camera, objects, bg_frames)

    def _plan_target(self, rng: np.random.Generator
                     ) -> Tuple[_ObjectPlan, Optional[int], float]:
        """A pasted target: any identity, any size.

        Returns:
            tuple: The target's plan, its identity index and the largest
            rotation of the sequence's objects (degrees).
        """
        W, H = self.img_size
        F = self.num_frames
        short = min(W, H)
        t_index, sprite = self._identity(rng, target=True)
        max_rot = 180.0 if rng.random() < self.p_spin else 30.0
        erratic = rng.random() < self.p_erratic
        jumps = int(rng.integers(1, 3)) if rng.random() < self.p_jump else 0
        lo, hi = self.min_size_frac * short, self.max_size_frac * short
        base = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
        base = max(base, 8.0)
        margin = float(np.clip(0.5 * base / short, 0.1, 0.35))
        cx, cy, size, angle = self._track(rng, base, margin, max_rot, erratic,
                                          jumps)
        if rng.random() < self.p_leave and F >= 12:
            # leave the frame for a while and come back
            t0 = int(rng.integers(F // 5, F - F // 3))
            dur = int(rng.integers(3, max(4, F // 4)))
            side = int(rng.integers(4))
            out = np.clip(np.arange(F) - t0, 0, None)
            out = np.minimum(out, np.clip(t0 + 2 * dur - np.arange(F), 0,
                                          None))
            push = np.minimum(out / 3, 1.0) * (0.6 * size + max(W, H) * 0.6)
            if side == 0:
                cx = cx - push
            elif side == 1:
                cx = cx + push
            elif side == 2:
                cy = cy - push
            else:
                cy = cy + push
        target = _ObjectPlan(TARGET_ID, sprite, 'object', cx, cy, size, angle,
                             0.0)
        return target, t_index, max_rot

    def _near_copy(self, target: _ObjectPlan, t_index: Optional[int],
                   rng: np.random.Generator) -> Sprite:
        """Another region of the target's photo, cut the same way."""
        return self.bank.sibling(t_index, rng)

    def _plan_others(self, rng: np.random.Generator, target: _ObjectPlan,
                     t_index: Optional[int],
                     max_rot: float) -> List[_ObjectPlan]:
        """Distractors, a holder and an occluder around ``target``."""
        F = self.num_frames
        photos = self.bank.photos
        sprite = target.sprite
        cx, cy, size, angle = target.cx, target.cy, target.size, target.angle
        objects = [target]

        # Distractors: copies, near-copies and others, crossing the target.
        num_d = int(rng.choice(4, p=[0.15, 0.35, 0.3, 0.2]))
        for _ in range(min(num_d, self.max_distractors)):
            kind = rng.choice(3, p=[0.3, 0.4, 0.3])
            if kind == 0:
                d_sprite = _jitter_colour(sprite, rng)
            elif kind == 1:
                d_sprite = self._near_copy(target, t_index, rng)
            else:
                d_sprite = self._identity(rng)[1]
            if rng.random() < 0.5:
                d_sprite = _flip(d_sprite)
            d_base = size[0] * rng.uniform(0.7, 1.4)
            dx, dy, dsz, dang = self._track(rng, d_base, 0.1, max_rot,
                                            rng.random() < 0.3, 0)
            if F >= 8 and rng.random() < 0.7:
                # cross the target's path at t_x (offset eased in and out)
                t_x = int(rng.integers(F // 5, F))
                w = np.exp(-0.5 * ((np.arange(F) - t_x) / max(2, F / 10))**2)
                dx = dx * (1 - w) + (cx + rng.normal(0, 0.2) * size) * w
                dy = dy * (1 - w) + (cy + rng.normal(0, 0.2) * size) * w
            objects.append(
                _ObjectPlan(
                    len(objects) + 1, d_sprite, 'object', dx, dy, dsz, dang,
                    float(rng.choice([-1.0, 1.0]))))

        # A holder glued to the target (a hand holding it).
        if rng.random() < self.p_holder:
            h_sprite = self._identity(rng)[1]
            rel = rng.uniform(0.4, 0.9)
            phi = rng.uniform(0, 2 * np.pi)
            front = rng.random() < 0.5
            # touching at frame 0 (the target is whole), overlapping later
            reach = np.full(F, 0.5 * (1 + rel) * 1.05)
            if front:
                grip = _ease(
                    np.array([0, max(1, min(F - 1, 4))]),
                    np.array([0.5 * (1 + rel) * 1.05, 0.5 * (1 + rel) * 0.6]),
                    F)
                reach = grip
            theta = phi + np.deg2rad(-angle)
            objects.append(
                _ObjectPlan(
                    len(objects) + 1, h_sprite, 'object',
                    cx + np.cos(theta) * reach * size,
                    cy + np.sin(theta) * reach * size, size * rel,
                    angle + rng.uniform(-40, 40), 1.5 if front else -0.5))

        # An occluder crossing the target (full occlusion when big enough).
        if F >= 8 and rng.random() < self.p_occluder:
            t_occ = int(rng.integers(F // 4, F - 1))
            if rng.random() < 0.6:
                o_cat, o_sprite = 'object', self._identity(rng)[1]
            else:
                o_cat = None
                o_sprite = self._photo_patch(rng, [photos.photo(int(
                    rng.integers(len(photos))))])
            o_size = size[t_occ] * rng.uniform(0.9, 2.5)
            duration = int(rng.integers(6, 21))
            travel = 2.0 * (o_size + size[t_occ])
            theta = rng.uniform(0, 2 * np.pi)
            t = np.arange(F) - t_occ
            step = t * travel / duration
            objects.append(
                _ObjectPlan(
                    len(objects) + 1, o_sprite, o_cat,
                    cx[t_occ] + np.cos(theta) * step,
                    cy[t_occ] + np.sin(theta) * step, np.full(F, o_size),
                    rng.uniform(-30, 30) + rng.uniform(-1, 1) * t, 2.0))

        return objects[1:]

    def _finish_plan(self, rng: np.random.Generator, bg: np.ndarray,
                     camera: np.ndarray, objects: List[_ObjectPlan],
                     bg_frames: Optional[List[np.ndarray]] = None
                     ) -> _SequencePlan:
        """Illumination and motion blur along the target's motion."""
        F = self.num_frames
        target = objects[0]
        cx, cy, size = target.cx, target.cy, target.size
        cast = rng.uniform(0.85, 1.15, 3)
        if rng.random() < self.p_illumination:
            g_times = _keyframe_times(rng, F, (8, 30))
            gains = _ease(g_times, rng.uniform(0.5, 1.5, len(g_times)), F)
        else:
            gains = np.ones(F)
        plan = _SequencePlan(
            bg,
            camera,
            sorted(objects, key=lambda o: o.z),
            gains[:, None] * cast[None],
            bg_frames=bg_frames)

        # Motion blur along the target's motion: bursts, and on every fast
        # frame of erratic or jumping motion.
        speed = np.hypot(np.diff(cx, prepend=cx[0]),
                         np.diff(cy, prepend=cy[0]))
        fast = set(np.nonzero(speed > 0.25 * size)[0].tolist())
        if rng.random() < self.p_blur:
            for _ in range(int(rng.integers(1, 4))):
                start = int(rng.integers(1, max(2, F)))
                fast.update(range(start,
                                  min(F, start + int(rng.integers(3, 9)))))
        for t in sorted(fast):
            if t == 0:
                continue
            dx, dy = cx[t] - cx[t - 1], cy[t] - cy[t - 1]
            if abs(dx) + abs(dy) < 1e-3:
                dx = 1.0
            length = int(np.clip(np.hypot(dx, dy) * 0.5, 5, 25))
            plan.blur[t] = self._line_kernel(length, dx, dy)
        return plan


def identities_of(world_dir: str) -> List[str]:
    """Sorted identity names shown in a world folder (train/val checks).

    Near-copies and colour-jittered copies count as their identity.
    """
    import json
    import os.path as osp
    import re
    with open(osp.join(world_dir, 'annotations', 'identities.json')) as f:
        per_seq = json.load(f)
    names = set()
    for seq_names in per_seq.values():
        for name in seq_names:
            m = re.match(r'^(train|val)_(\d+)_', name)
            if m:
                names.add(f'{m.group(1)}_{m.group(2)}')
    return sorted(names)
