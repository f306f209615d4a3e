# Copyright (c) mmtao contributors. All rights reserved.
"""Object cut-outs and backgrounds of the synthetic world.

Every pixel comes from a photograph bundled in scikit-image's wheel (no
download). How each object's mask is obtained, honestly:

- ``coin``: the 24 coins of ``skimage.data.coins()`` are segmented by Otsu
  thresholding of the Gaussian-smoothed photo, hole filling, a 2-pixel
  opening and connected components; components touching the border or
  larger than 5000 px (the bright band at the top of the photo) are dropped.
  The masks follow the real coin outlines up to threshold noise.
- ``horse``: the exact silhouette of ``skimage.data.horse()`` (a binary
  drawing) filled with real textures (wood from ``coffee``, fur from
  ``chelsea``, the orange suit from ``astronaut``). Three look-alike horses.
- ``logo``, ``cat``, ``cup``, ``face``: geometric masks (a disc, ellipses, a
  union of two ellipses) placed over the scikit-image logo, the face of the
  cat ``chelsea``, the cup and saucer of ``coffee`` and the face of
  ``astronaut``. The mask does not follow the real outline everywhere; it is
  *defined* as the object, so the pasted pixels and the mask agree exactly.

The mask of every rendered frame is therefore exact: a pixel belongs to an
object iff the object's (warped, binarised) mask covers it and no object in
front of it does.

Backgrounds are photos that contain none of the object classes (rocket,
camera, brick, grass, gravel, Hubble deep field, immunohistochemistry, the
left motorcycle stereo view, retina, moon, cell); the generator crops and
rescales them at random.
"""
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Tuple

import cv2
import numpy as np

# Category names; COCO ids are 1-based positions in this tuple.
CATEGORIES: Tuple[str, ...] = ('horse', 'coin', 'logo', 'cat', 'cup', 'face')

# Longest side of a stored sprite. Sprites are only ever shrunk or slightly
# enlarged when rendered at <= 640 px frames, so this keeps warps cheap.
_MAX_SPRITE_SIDE = 256


@dataclass
class Sprite:
    """One object cut-out.

    Attributes:
        name (str): Unique name, e.g. ``'coin_07'``.
        category (str): One of :data:`CATEGORIES`.
        img (np.ndarray): BGR pixels, uint8 of shape (h, w, 3).
        mask (np.ndarray): uint8 of shape (h, w), 255 on the object, else 0.
        area (int): Number of object pixels of ``mask``.
    """
    name: str
    category: str
    img: np.ndarray
    mask: np.ndarray
    area: int

    @property
    def long_side(self) -> int:
        return max(self.img.shape[:2])


def _to_bgr(img: np.ndarray) -> np.ndarray:
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    if img.shape[2] == 4:
        img = img[..., :3]
    return np.ascontiguousarray(img[..., ::-1])


def _make_sprite(name: str, category: str, img: np.ndarray,
                 mask: np.ndarray) -> Sprite:
    """Crop to the mask's bounding box (+2 px) and shrink to the max side."""
    mask = (mask > 0).astype(np.uint8) * 255
    x, y, w, h = cv2.boundingRect(mask)
    if w == 0 or h == 0:
        raise ValueError(f'sprite {name!r} has an empty mask')
    x0, y0 = max(0, x - 2), max(0, y - 2)
    x1, y1 = min(mask.shape[1], x + w + 2), min(mask.shape[0], y + h + 2)
    img, mask = img[y0:y1, x0:x1], mask[y0:y1, x0:x1]
    scale = _MAX_SPRITE_SIDE / max(img.shape[:2])
    if scale < 1:
        size = (max(1, round(img.shape[1] * scale)),
                max(1, round(img.shape[0] * scale)))
        img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        mask = cv2.resize(mask, size, interpolation=cv2.INTER_AREA)
        mask = np.where(mask >= 128, 255, 0).astype(np.uint8)
    return Sprite(name, category, np.ascontiguousarray(img),
                  np.ascontiguousarray(mask), int((mask > 0).sum()))


def _ellipse_mask(shape: Tuple[int, int], ellipses) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    for center, axes in ellipses:
        cv2.ellipse(mask, center, axes, 0, 0, 360, 255, -1)
    return mask


def _coin_sprites() -> List[Sprite]:
    from scipy import ndimage as ndi
    from skimage import data, filters, measure, morphology
    coins = data.coins()
    smooth = filters.gaussian(coins, 1.5, preserve_range=True)
    fg = ndi.binary_fill_holes(smooth > filters.threshold_otsu(smooth))
    fg = morphology.opening(fg, morphology.disk(2))
    labels = measure.label(fg)
    sprites = []
    h, w = coins.shape
    for region in measure.regionprops(labels):
        y0, x0, y1, x1 = region.bbox
        if region.area < 300 or region.area > 5000 or y0 == 0 or x0 == 0 \
                or y1 == h or x1 == w:
            continue
        mask = (labels == region.label).astype(np.uint8)
        sprites.append(
            _make_sprite(f'coin_{len(sprites):02d}', 'coin', _to_bgr(coins),
                         mask))
    return sprites


def _horse_sprites() -> List[Sprite]:
    from skimage import data
    # horse() is True on the white background, False on the horse.
    mask = (~data.horse()).astype(np.uint8)
    h, w = mask.shape
    # Real textures: (source photo, crop x0, y0, x1, y1).
    textures = [
        (data.coffee(), 430, 0, 600, 120),  # wooden table
        (data.chelsea(), 0, 60, 120, 300),  # cat fur
        (data.astronaut(), 20, 300, 130, 500),  # orange suit
    ]
    sprites = []
    for i, (photo, x0, y0, x1, y1) in enumerate(textures):
        tex = cv2.resize(
            _to_bgr(photo[y0:y1, x0:x1]), (w, h),
            interpolation=cv2.INTER_LINEAR)
        sprites.append(_make_sprite(f'horse_{i}', 'horse', tex, mask))
    return sprites


def _geometric_sprites() -> List[Sprite]:
    from skimage import data
    logo = _to_bgr(data.logo())
    chelsea, coffee, astronaut = (_to_bgr(data.chelsea()),
                                  _to_bgr(data.coffee()),
                                  _to_bgr(data.astronaut()))
    return [
        _make_sprite('logo', 'logo', logo,
                     _ellipse_mask(logo.shape[:2],
                                   [((250, 250), (240, 240))])),
        _make_sprite(
            'cat', 'cat', chelsea,
            _ellipse_mask(chelsea.shape[:2], [((210, 150), (120, 125))])),
        _make_sprite(
            'cup', 'cup', coffee,
            _ellipse_mask(coffee.shape[:2], [((278, 228), (200, 156)),
                                             ((290, 122), (116, 104))])),
        _make_sprite(
            'face', 'face', astronaut,
            _ellipse_mask(astronaut.shape[:2], [((220, 115), (70, 95))])),
    ]


@lru_cache(maxsize=1)
def build_sprite_bank() -> Dict[str, List[Sprite]]:
    """All object cut-outs, grouped by category (deterministic).

    Returns:
        dict[str, list[Sprite]]: Category name to its sprites, keys in the
        order of :data:`CATEGORIES`.
    """
    bank: Dict[str, List[Sprite]] = {c: [] for c in CATEGORIES}
    for sprite in _horse_sprites() + _coin_sprites() + _geometric_sprites():
        bank[sprite.category].append(sprite)
    return bank


@lru_cache(maxsize=1)
def build_background_bank() -> List[np.ndarray]:
    """Background photos (BGR uint8), each shrunk to at most 640 px wide.

    Grey photos are given a mild colour tint so that backgrounds are not
    trivially separable from the (colour) objects by saturation alone.
    """
    from skimage import data
    photos = [
        data.rocket(),
        data.camera(),
        data.brick(),
        data.grass(),
        data.gravel(),
        data.hubble_deep_field(),
        data.immunohistochemistry(),
        data.stereo_motorcycle()[0],
        data.retina(),
        data.moon(),
        data.cell(),
    ]
    tints = [(1.0, 0.95, 0.85), (0.85, 1.0, 0.9), (0.9, 0.9, 1.0)]
    bank = []
    for i, photo in enumerate(photos):
        img = _to_bgr(photo)
        if photo.ndim == 2:
            tint = np.array(tints[i % len(tints)], np.float32)
            img = np.clip(img * tint, 0, 255).astype(np.uint8)
        scale = 640 / max(img.shape[:2])
        if scale < 1:
            img = cv2.resize(
                img,
                (round(img.shape[1] * scale), round(img.shape[0] * scale)),
                interpolation=cv2.INTER_AREA)
        bank.append(np.ascontiguousarray(img))
    return bank
