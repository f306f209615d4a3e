# Copyright (c) mmtao contributors. All rights reserved.
"""Targets left in their own photo, and pastes blended like real objects.

Two ways a region of a photo can become a tracking target:

- *in context*: the region stays in its photo; a camera (zoom, roll, pan)
  moves the whole photo and a smooth local warp moves the region relative
  to its surroundings (a rubber-sheet displacement that is rigid on the
  region and fades out over a band around it). No pasted edge exists: the
  outline is the one the photo had. The ground-truth mask is the region's
  mask sent through the very same pixel map, so it is exact for the pixels
  written.
- *pasted*: the region's pixels are composited onto another picture, with
  hard edges or blended (feathered alpha, the background's blur, a pull of
  its colours towards the surroundings); sensor noise is added to whole
  frames, so it marks no object.

Used by the training world (:mod:`.real_world`) and by the shortcut probe
(``tools/analysis/shortcut_probe.py``).
"""
from dataclasses import dataclass
from typing import Optional, Tuple

import cv2
import numpy as np

from .identity_bank import _segment_mask


def segment_region(
        rng: np.random.Generator, photo: np.ndarray,
        frac: Tuple[float, float]) -> Optional[Tuple[int, int, np.ndarray]]:
    """A real region of ``photo`` cut along segment boundaries.

    Args:
        rng: Random generator.
        photo: BGR uint8 (H, W, 3).
        frac: Range of the search window's side, as fractions of the
            photo's short side.

    Returns:
        tuple | None: ``(x0, y0, mask)`` with ``mask`` a bool (h, w) array
        tight around the region, whose top-left pixel is ``(x0, y0)`` of the
        photo; None when the window holds no usable segment.
    """
    ph, pw = photo.shape[:2]
    side = rng.uniform(*frac) * min(ph, pw)
    a = np.exp(rng.uniform(np.log(0.6), np.log(1.6)))
    w = int(np.clip(side * np.sqrt(a), 16, pw))
    h = int(np.clip(side / np.sqrt(a), 16, ph))
    x0, y0 = int(rng.integers(pw - w + 1)), int(rng.integers(ph - h + 1))
    mask = _segment_mask(rng, photo[y0:y0 + h, x0:x0 + w])
    if mask is None:
        return None
    x, y, bw, bh = cv2.boundingRect(mask.astype(np.uint8))
    return x0 + x, y0 + y, np.ascontiguousarray(mask[y:y + bh, x:x + bw])


def camera_matrix(scale: float, angle: float, centre: np.ndarray,
                  img_size: Tuple[int, int]) -> np.ndarray:
    """(2, 3) affine map photo -> frame: photo point ``centre`` goes to the
    frame centre, zoomed by ``scale`` and turned by ``angle`` degrees
    (counter-clockwise, as ``cv2.getRotationMatrix2D``)."""
    mat = cv2.getRotationMatrix2D((0.0, 0.0), float(angle), float(scale))
    mat[:, 2] = np.array([img_size[0] / 2, img_size[1] / 2]) - \
        mat[:, :2] @ np.asarray(centre, np.float64)
    return mat


def min_cover_scale(angle: float, img_size: Tuple[int, int],
                    photo_shape: Tuple[int, int]) -> float:
    """Smallest zoom at which a frame turned by ``angle`` fits in the photo
    (so no border pixel is invented)."""
    W, H = img_size
    ph, pw = photo_shape
    c, s = abs(np.cos(np.deg2rad(angle))), abs(np.sin(np.deg2rad(angle)))
    return max((W * c + H * s) / pw, (W * s + H * c) / ph)


@dataclass
class ContextTarget:
    """A region moved in its own photo by a camera and a local warp.

    Attributes:
        photo: BGR uint8 (PH, PW, 3).
        x0, y0: Photo position of the region mask's top-left pixel.
        mask: bool (h, w), the region.
        weight: float32 (PH, PW), 1 on the region, fading to 0 over the
            band around it: how much of the local displacement a photo
            pixel follows.
        scale, angle: (F, ) camera zoom and roll (degrees).
        centre: (F, 2) photo point at the frame centre.
        disp: (F, 2) local displacement of the region, photo pixels.
        full: uint8 (PH, PW) the region's mask in the photo (0/255), kept
            once computed; None: computed from ``mask`` when needed.
    """
    photo: np.ndarray
    x0: int
    y0: int
    mask: np.ndarray
    weight: np.ndarray
    scale: np.ndarray
    angle: np.ndarray
    centre: np.ndarray
    disp: np.ndarray
    full: Optional[np.ndarray] = None

    def full_mask(self) -> np.ndarray:
        out = np.zeros(self.photo.shape[:2], np.uint8)
        h, w = self.mask.shape
        out[self.y0:self.y0 + h, self.x0:self.x0 + w][self.mask] = 255
        return out

    def region_centre(self) -> np.ndarray:
        h, w = self.mask.shape
        return np.array([self.x0 + w / 2, self.y0 + h / 2])


def warp_weight(full_mask: np.ndarray, band: float,
                core: float = 0.0) -> np.ndarray:
    """1 on the mask and ``core`` pixels around it, then a cosine fall-off
    to 0 over ``band`` more pixels.

    A frame pixel ``q`` reads the photo at ``q - d * weight(q)``: with
    ``core >= |d|``, every pixel the region moves to has weight 1, so the
    region moves rigidly. The weight's gradient is at most
    ``pi / (2 * band)``, so displacements shorter than ``2 * band / pi``
    keep the warp one-to-one (no folded pixels).
    """
    dist = cv2.distanceTransform((full_mask == 0).astype(np.uint8),
                                 cv2.DIST_L2, 5)
    u = np.clip((dist - core) / max(band, 1.0), 0, 1)
    return ((1 + np.cos(np.pi * u)) / 2).astype(np.float32)


def render_context(ctx: ContextTarget, t: int, img_size: Tuple[int, int],
                   mask_full: Optional[np.ndarray] = None
                   ) -> Tuple[np.ndarray, np.ndarray]:
    """Frame ``t`` of an in-context target.

    Each frame pixel ``p`` reads the photo at ``q - d * weight(q)``, with
    ``q`` the camera's inverse image of ``p`` and ``d`` the displacement:
    the region moves rigidly by ``d`` (up to the weight's fall-off, which
    lies outside it), its surroundings stretch.

    Returns:
        tuple: BGR frame (H, W, 3) uint8 and the region's mask in it,
        bool (H, W), from the same pixel map.
    """
    W, H = img_size
    cam = camera_matrix(ctx.scale[t], ctx.angle[t], ctx.centre[t], img_size)
    inv = cv2.invertAffineTransform(cam)
    xs, ys = np.meshgrid(
        np.arange(W, dtype=np.float32), np.arange(H, dtype=np.float32))
    qx = inv[0, 0] * xs + inv[0, 1] * ys + inv[0, 2]
    qy = inv[1, 0] * xs + inv[1, 1] * ys + inv[1, 2]
    qx, qy = qx.astype(np.float32), qy.astype(np.float32)
    dx, dy = ctx.disp[t]
    if abs(dx) + abs(dy) > 1e-6:
        w = cv2.remap(ctx.weight, qx, qy, cv2.INTER_LINEAR,
                      borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        qx = qx - np.float32(dx) * w
        qy = qy - np.float32(dy) * w
    frame = cv2.remap(ctx.photo, qx, qy, cv2.INTER_LINEAR,
                      borderMode=cv2.BORDER_REFLECT)
    if mask_full is None:
        mask_full = ctx.full if ctx.full is not None else ctx.full_mask()
    mask = cv2.remap(mask_full, qx, qy, cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_CONSTANT, borderValue=0) >= 128
    return frame, mask


@dataclass
class Blend:
    """How a paste is blended into the frame.

    Attributes:
        feather: Gaussian sigma (px) of the alpha edge; 0 = hard edge.
        blur: Gaussian sigma (px) applied to the pasted pixels.
        colour: 0-1 pull of the paste's mean colour towards the mean of
            its surroundings.
    """
    feather: float = 0.0
    blur: float = 0.0
    colour: float = 0.0

    @classmethod
    def draw(cls, rng: np.random.Generator) -> 'Blend':
        return cls(
            feather=float(rng.uniform(0.6, 2.0)),
            blur=float(rng.uniform(0.0, 1.2)),
            colour=float(rng.uniform(0.0, 0.4)))


def paste(frame: np.ndarray, img: np.ndarray, on: np.ndarray,
          blend: Optional[Blend] = None) -> None:
    """Composite ``img`` where ``on`` into ``frame`` (same size), in place.

    With ``blend``, the hard mask ``on`` (the ground truth) becomes a
    feathered alpha, the pasted pixels get the blur and the colour pull.
    """
    if blend is None or (blend.feather <= 0 and blend.blur <= 0
                         and blend.colour <= 0):
        frame[on] = img[on]
        return
    src = img.astype(np.float32)
    if blend.blur > 0:
        src = cv2.GaussianBlur(src, (0, 0), blend.blur)
    if blend.colour > 0 and on.any():
        ring = cv2.dilate(on.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
        ring &= ~on
        if ring.any():
            shift = frame[ring].reshape(-1, 3).mean(0) - \
                src[on].reshape(-1, 3).mean(0)
            src += blend.colour * shift.astype(np.float32)
    alpha = on.astype(np.float32)
    if blend.feather > 0:
        alpha = cv2.GaussianBlur(alpha, (0, 0), blend.feather)
        # keep the object's own pixels opaque: the feather only spreads
        # outwards by half and inwards by half of its width
        alpha = np.where(on, np.maximum(alpha, 0.5), np.minimum(alpha, 0.5))
    alpha = alpha[..., None]
    out = frame.astype(np.float32) * (1 - alpha) + src * alpha
    np.copyto(frame, np.clip(out + 0.5, 0, 255).astype(np.uint8))


def add_noise(frame: np.ndarray, sigma: float,
              rng: np.random.Generator) -> np.ndarray:
    """Sensor noise over the whole frame (a new array)."""
    if sigma <= 0:
        return frame
    noise = rng.normal(0, sigma, frame.shape).astype(np.float32)
    return np.clip(frame.astype(np.float32) + noise + 0.5, 0,
                   255).astype(np.uint8)
