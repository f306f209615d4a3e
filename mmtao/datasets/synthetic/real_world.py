# Copyright (c) mmtao contributors. All rights reserved.
"""The any-object world without the "pasted = object" shortcut."""
from typing import List, Optional, Tuple

import cv2
import numpy as np

from .any_object_world import AnyObjectWorldGenerator
from .context_render import (Blend, ContextTarget, camera_matrix,
                             min_cover_scale, segment_region, warp_weight)
from .identity_bank import BENCHMARK_CLIPS
from .sprite_bank import Sprite, _make_sprite
from .world_plan import (TARGET_ID, _ease, _jitter_colour, _keyframe_times,
                         _ObjectPlan, _SequencePlan)


class RealWorldGenerator(AnyObjectWorldGenerator):
    """Targets in their own photo, pastes blended, clutter everywhere.

    The any-object world (:class:`AnyObjectWorldGenerator`) pastes every
    target, distractor and occluder, and labels everything real of its
    photos background, so "a pasted edge" is a cue for "the object" that
    real video never has. This world takes the cue away:

    - *in-context targets* (``p_context`` of the sequences: the kind is
      drawn once per sequence, and a plan whose first frame hides part of
      the target is re-drawn as the same kind, so the frame-0 check, which
      rejects in-context plans more often, does not shift the share): the
      target is a real region of the background photo (or of a frame of a
      training clip, ``p_context_clip``), cut along segment boundaries but
      never cut out:
      a camera (zoom, roll, pan) moves the whole picture and a local warp
      (``p_local``) moves the region relative to its surroundings
      (:mod:`.context_render`). Its exact mask is the region's mask sent
      through the same pixel map, and it is labelled ``object`` in the
      COCO json: the detection half learns a real object of a photo as an
      object, not as background.
    - *blended pastes* (``p_blend``): everything pasted (pasted targets,
      distractors, holders, occluders, clutter) gets a feathered edge, the
      background's blur and a pull of its colours towards the
      surroundings; sensor noise (up to ``max_noise``) covers whole frames.
    - *clutter* (up to ``max_clutter``): unlabelled pastes scattered over
      the frame (photo identities and patches), so pasted edges also
      belong to things that are neither target nor labelled object.
    - *every size at the tracking scale*: targets from ``min_size_frac`` to
      ``max_size_frac`` (default 0.05-0.9) of the frame's short side; with
      ``--img-size 416 312`` (the tracking input) that is 16-280 px.

    It never reads the real-video benchmark's clips
    (:data:`~.identity_bank.BENCHMARK_CLIPS`).

    Args:
        p_context (float): Probability of an in-context target.
            Defaults to 0.6.
        p_context_clip (float): Probability that an in-context target comes
            from a frame of a training clip (when the bank has clips).
            Defaults to 0.3.
        p_local (float): Probability of a local warp of an in-context
            target. Defaults to 0.7.
        p_blend (float): Probability that a sequence's pastes are blended.
            Defaults to 0.8.
        max_clutter (int): At most this many unlabelled pastes. Defaults
            to 4.
        max_noise (float): Largest sensor-noise sigma (grey levels).
            Defaults to 4.
        **kwargs: :class:`AnyObjectWorldGenerator`'s arguments.
    """

    exclude_clips = BENCHMARK_CLIPS
    #: in-context draws per sequence before it falls back to a pasted target
    max_context_draws = 60

    def __init__(self,
                 p_context: float = 0.6,
                 p_context_clip: float = 0.3,
                 p_local: float = 0.7,
                 p_blend: float = 0.8,
                 max_clutter: int = 4,
                 max_noise: float = 4.0,
                 **kwargs) -> None:
        kwargs.setdefault('max_size_frac', 0.9)
        super().__init__(**kwargs)
        for name, p in (('p_context', p_context), ('p_context_clip',
                                                   p_context_clip),
                        ('p_local', p_local), ('p_blend', p_blend)):
            if not 0 <= p <= 1:
                raise ValueError(f'{name} must be in [0, 1], got {p}')
        if max_clutter < 0 or max_noise < 0:
            raise ValueError('max_clutter and max_noise must be >= 0, got '
                             f'{max_clutter}, {max_noise}')
        self.p_context = p_context
        self.p_context_clip = p_context_clip
        self.p_local = p_local
        self.p_blend = p_blend
        self.max_clutter = int(max_clutter)
        self.max_noise = float(max_noise)
        self._ctx_photo: Optional[np.ndarray] = None

    def source_note(self, plan: _SequencePlan) -> str:
        kind = 'in-context' if plan.context is not None else 'pasted'
        return (f'mmtao real world ({kind} target), identity pool '
                f'{self.pool!r} ({self.num_identities} identities, '
                f'{len(self.bank.photos)} photos)')

    # ----------------------------------------------------------- plan
    def plan_sequence(self, seq_idx: int) -> _SequencePlan:
        # the kind is drawn by the first plan draw and kept for the re-draws
        self._context_kind: Optional[bool] = None
        self._context_draws = 0
        return super().plan_sequence(seq_idx)

    def _plan(self, rng: np.random.Generator) -> _SequencePlan:
        if getattr(self, '_context_kind', None) is None:
            self._context_kind = bool(rng.random() < self.p_context)
        plan = None
        # a photo without a usable region (or 60 rejected draws) ends in a
        # pasted target rather than in no plan
        while (self._context_kind and plan is None
               and self._context_draws < self.max_context_draws):
            self._context_draws += 1
            plan = self._plan_context(rng)
        if plan is None:
            plan = super()._plan(rng)
        self._add_clutter(rng, plan)
        if rng.random() < self.p_blend:
            plan.blend = Blend.draw(rng)
        plan.noise = float(rng.uniform(0, self.max_noise))
        plan.noise_seed = int(rng.integers(2**31))
        return plan

    def _context_photo(self, rng: np.random.Generator) -> np.ndarray:
        photos = self.bank.photos
        if photos.clips and rng.random() < self.p_context_clip:
            frames = photos.clip(int(rng.integers(len(photos.clips))))
            photo = frames[int(rng.integers(len(frames)))]
        else:
            photo = photos.photo(int(rng.integers(len(photos))))
        if rng.random() < 0.5:
            photo = np.ascontiguousarray(photo[:, ::-1])
        return photo

    def _plan_context(self,
                      rng: np.random.Generator) -> Optional[_SequencePlan]:
        """A target left in its photo; None when no region is found."""
        W, H = self.img_size
        F = self.num_frames
        photo = self._context_photo(rng)
        ph, pw = photo.shape[:2]
        region = None
        for _ in range(12):
            region = segment_region(rng, photo, (0.1, 0.5))
            if region is not None:
                break
        if region is None:
            return None
        x0, y0, mask = region
        h, w = mask.shape
        long_r = max(h, w)
        crop = np.ascontiguousarray(photo[y0:y0 + h, x0:x0 + w])
        sprite = Sprite(f'{self.pool}_context_{self._seq_idx:06d}', 'object',
                        crop, mask.astype(np.uint8) * 255, int(mask.sum()))
        for _ in range(5):
            # a path whose first frame shows the whole region
            scale, angle, centre, disp, pos, band, max_rot = \
                self._context_path(rng, (x0, y0, mask), (ph, pw))
            target = _ObjectPlan(TARGET_ID, sprite, 'object', pos[:, 0],
                                 pos[:, 1], scale * long_r, angle, 0.0)
            if not self._is_truncated(target, 0):
                break
        full = np.zeros((ph, pw), np.uint8)
        full[y0:y0 + h, x0:x0 + w][mask] = 255
        core = float(np.hypot(disp[:, 0], disp[:, 1]).max()) + 1
        ctx = ContextTarget(photo, x0, y0, mask,
                            warp_weight(full, band, core), scale, angle,
                            centre, disp, full)
        self._ctx_photo = photo
        objects = [target] + self._plan_others(rng, target, None, max_rot)
        camera = np.stack([
            camera_matrix(scale[t], angle[t], centre[t], (W, H))
            for t in range(F)
        ])
        plan = self._finish_plan(rng, photo, camera, objects)
        plan.context = ctx
        return plan

    def _context_path(self, rng: np.random.Generator, region: tuple,
                      photo_shape: Tuple[int, int]) -> tuple:
        """Camera zoom / roll / centre and local displacement of an
        in-context target, and where its centre lands in the frame."""
        W, H = self.img_size
        F = self.num_frames
        short = min(W, H)
        (x0, y0, mask), (ph, pw) = region, photo_shape
        h, w = mask.shape
        long_r = max(h, w)
        lo, hi = self.min_size_frac * short, self.max_size_frac * short
        base = max(8.0, float(np.exp(rng.uniform(np.log(lo), np.log(hi)))))
        erratic = rng.random() < self.p_erratic
        times = _keyframe_times(rng, F, (4, 10) if erratic else (10, 28))
        K = len(times)
        max_rot = 60.0 if rng.random() < self.p_spin else 12.0
        angles = rng.uniform(-max_rot, max_rot, K)
        angles[0] = rng.uniform(-8, 8)
        angle = _ease(times, angles, F)
        scales = base / long_r * np.exp(rng.uniform(np.log(0.6), np.log(1.6),
                                                    K))
        scales[0] = base / long_r
        cover = 1.02 * np.array(
            [min_cover_scale(a, (W, H), (ph, pw)) for a in angle])
        scale = np.maximum(
            np.minimum(_ease(times, scales, F), 0.95 * short / long_r), cover)
        band = 0.7 * long_r
        disp = np.zeros((K, 2))
        if rng.random() < self.p_local:
            # |d| <= 0.64 band: the warp stays one-to-one (warp_weight)
            disp = rng.uniform(-0.45, 0.45, (K, 2)) * band
            disp[0] = 0
        disp = _ease(times, disp, F)
        margin = float(np.clip(0.5 * base / short, 0.1, 0.4))
        screen = _ease(
            times,
            np.stack([
                rng.uniform(margin * W, (1 - margin) * W, K),
                rng.uniform(margin * H, (1 - margin) * H, K)
            ], 1), F)
        c = np.array([x0 + w / 2, y0 + h / 2])
        half = np.array([W / 2, H / 2])
        centre, pos = np.zeros((F, 2)), np.zeros((F, 2))
        for t in range(F):
            rot = cv2.getRotationMatrix2D((0, 0), float(angle[t]), 1.0)[:, :2]
            m = c + disp[t] - rot.T @ (screen[t] - half) / scale[t]
            ca = abs(np.cos(np.deg2rad(angle[t])))
            sa = abs(np.sin(np.deg2rad(angle[t])))
            ext = np.array([W * ca + H * sa, W * sa + H * ca]) / 2 / scale[t]
            centre[t] = np.clip(m, ext, np.array([pw, ph]) - ext)
            pos[t] = scale[t] * rot @ (c + disp[t] - centre[t]) + half
        return scale, angle, centre, disp, pos, band, max_rot

    def _near_copy(self, target: _ObjectPlan, t_index: Optional[int],
                   rng: np.random.Generator) -> Sprite:
        if t_index is not None:
            return super()._near_copy(target, t_index, rng)
        # in context: another region of the same photo, cut out
        region = segment_region(rng, self._ctx_photo, (0.1, 0.6))
        if region is None:
            return _jitter_colour(target.sprite, rng)
        x0, y0, mask = region
        h, w = mask.shape
        return _make_sprite(target.sprite.name + '_near', 'object',
                            self._ctx_photo[y0:y0 + h, x0:x0 + w], mask)

    def _add_clutter(self, rng: np.random.Generator,
                     plan: _SequencePlan) -> None:
        """Unlabelled pastes drifting anywhere in the frame."""
        W, H = self.img_size
        F = self.num_frames
        short = min(W, H)
        photos = self.bank.photos
        added: List[_ObjectPlan] = []
        for _ in range(int(rng.integers(0, self.max_clutter + 1))):
            if rng.random() < 0.6:
                sprite = self._identity(rng)[1]
            else:
                sprite = self._photo_patch(
                    rng, [photos.photo(int(rng.integers(len(photos))))])
            size = float(
                np.exp(rng.uniform(np.log(0.05 * short),
                                   np.log(0.45 * short))))
            start = rng.uniform(0, 1, 2) * (W, H)
            end = start + rng.normal(0, 0.15, 2) * (W, H)
            path = _ease(np.array([0, max(1, F - 1)]), np.stack([start, end]),
                         F)
            spin = rng.uniform(-2, 2) * np.arange(F)
            z = rng.uniform(0.2, 3.0) * (1 if rng.random() < 0.3 else -1)
            added.append(
                _ObjectPlan(
                    len(plan.objects) + len(added) + 1, sprite, None,
                    path[:, 0], path[:, 1], np.full(F, size),
                    rng.uniform(-180, 180) + spin, float(z)))
        plan.objects = sorted(plan.objects + added, key=lambda o: o.z)
