# Copyright (c) mmtao contributors. All rights reserved.
"""Thousands of object identities cut from real photos, with exact masks.

An *identity* is one object of the any-object world: real photographic
pixels and a binary mask that *defines* the object (the pasted pixels and the
mask agree exactly, so every rendered frame's ground truth is exact). Each
identity is built deterministically from ``(pool, index)`` out of the photos
of one split, in one of four ways:

- ``segment`` (45 %): a region of a real photo cut along segment boundaries
  (Felzenszwalb's graph segmentation of a random window; the segment under
  the window centre grown by neighbouring segments), so outlines and
  textures are those of real things — a roof, a rock, a leaf cluster.
- ``blob`` (30 %): a random smooth closed curve (a few Fourier harmonics of
  the radius) filled with a window of a photo.
- ``polygon`` (15 %): a random star-shaped polygon filled with a photo.
- ``cutout`` (10 %, train pool only): scikit-image's real horse silhouette
  or the face of the cat ``chelsea``, filled or shown with train photos.

Photos are split by *file* (:class:`PhotoBank`): the train and val pools
never share a photo, so no val identity shares pixels with a train one.
scikit-image's ``coffee``, ``astronaut``, ``coins`` and ``motorcycle_*`` are
reserved for evaluation and are never used here.
"""
import glob
import os.path as osp
import zlib
from functools import lru_cache
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .sprite_bank import Sprite, _make_sprite, _to_bgr

# scikit-image's bundled photos usable for training worlds, split by file.
# (coffee, astronaut, coins and the motorcycle pair are reserved for
# evaluation; cat() is chelsea again.)
SKIMAGE_PHOTOS = {
    'train': ('chelsea', 'camera', 'brick', 'grass', 'hubble_deep_field',
              'immunohistochemistry', 'retina', 'moon', 'page', 'text',
              'cell'),
    'val': ('rocket', 'gravel', 'clock'),
}
KINDS = ('segment', 'blob', 'polygon', 'cutout')
# clips of the real-video benchmark (issue 18, tools/misc/real_video/):
# a world that must stay off the benchmark leaves them out
# (``PhotoBank(exclude_clips=BENCHMARK_CLIPS)``); the any-object world of the
# shipped model read carphone_pristine.mp4 and keeps doing so, to stay
# reproducible
BENCHMARK_CLIPS = ('bikes.mp4', 'carphone_pristine.mp4')


class PhotoBank:
    """The photos of one split: scikit-image's share plus, when given, the
    files of ``photo_root/photos/<split>/`` written by
    ``tools/misc/prepare_world_photos.py``.

    Args:
        split (str): ``'train'`` or ``'val'``.
        photo_root (str, optional): Output folder of
            ``prepare_world_photos.py``. Defaults to None (scikit-image's
            photos only, e.g. for tests).
        exclude_clips (Sequence[str]): File names of clips never read
            (e.g. :data:`BENCHMARK_CLIPS`). Defaults to ().
    """

    def __init__(self,
                 split: str,
                 photo_root: Optional[str] = None,
                 exclude_clips: Sequence[str] = ()) -> None:
        if split not in SKIMAGE_PHOTOS:
            raise ValueError(f'photo split must be one of '
                             f'{sorted(SKIMAGE_PHOTOS)}, got {split!r}')
        self.split = split
        self.photo_root = photo_root
        self.names: List[str] = [f'skimage:{n}' for n in SKIMAGE_PHOTOS[split]]
        self.clips: List[str] = []
        if photo_root is not None:
            folder = osp.join(photo_root, 'photos', split)
            files = sorted(glob.glob(osp.join(folder, '*.jpg')))
            if not files:
                raise FileNotFoundError(
                    f'no photos in {folder}: run tools/misc/'
                    f'prepare_world_photos.py --out {photo_root} first')
            self.names += files
            self.clips = sorted(
                p for p in glob.glob(
                    osp.join(photo_root, 'clips', split, '*.mp4'))
                if osp.basename(p) not in exclude_clips)

    def __len__(self) -> int:
        return len(self.names)

    def photo(self, i: int) -> np.ndarray:
        """Photo ``i`` as BGR uint8 (longest side at most 1024)."""
        return _load_photo(self.names[i])

    def clip(self, i: int) -> List[np.ndarray]:
        """Frames of clip ``i`` (BGR uint8, longest side at most 640)."""
        return _load_clip(self.clips[i])


@lru_cache(maxsize=None)
def _load_photo(name: str) -> np.ndarray:
    if name.startswith('skimage:'):
        from skimage import data
        img = _to_bgr(getattr(data, name.split(':', 1)[1])())
        if img.std(axis=2).mean() < 1:  # grey photo: a mild colour cast
            tint = np.array([1.0, 0.95, 0.88], np.float32)
            img = np.clip(img * tint, 0, 255).astype(np.uint8)
    else:
        img = cv2.imread(name, cv2.IMREAD_COLOR)
        if img is None:
            raise FileNotFoundError(f'cannot read photo {name}')
    scale = 1024 / max(img.shape[:2])
    if scale < 1:
        img = cv2.resize(img, (round(img.shape[1] * scale),
                               round(img.shape[0] * scale)),
                         interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(img)


@lru_cache(maxsize=4)
def _load_clip(path: str) -> List[np.ndarray]:
    import imageio.v2 as imageio
    frames = []
    with imageio.get_reader(path) as reader:
        for frame in reader:
            img = np.ascontiguousarray(frame[..., ::-1])
            scale = 640 / max(img.shape[:2])
            if scale < 1:
                img = cv2.resize(img, (round(img.shape[1] * scale),
                                       round(img.shape[0] * scale)),
                                 interpolation=cv2.INTER_AREA)
            frames.append(img)
    if not frames:
        raise ValueError(f'clip {path} has no frames')
    return frames


def _window(rng: np.random.Generator, photo: np.ndarray, frac: Tuple[float,
                                                                     float],
            aspect: Tuple[float, float] = (0.6, 1.6)) -> np.ndarray:
    """A random window of ``photo`` whose side is a ``frac`` of its short
    side."""
    ph, pw = photo.shape[:2]
    side = rng.uniform(*frac) * min(ph, pw)
    a = np.exp(rng.uniform(np.log(aspect[0]), np.log(aspect[1])))
    w = int(np.clip(side * np.sqrt(a), 16, pw))
    h = int(np.clip(side / np.sqrt(a), 16, ph))
    x0 = int(rng.integers(pw - w + 1))
    y0 = int(rng.integers(ph - h + 1))
    return np.ascontiguousarray(photo[y0:y0 + h, x0:x0 + w])


def _largest_component(mask: np.ndarray) -> np.ndarray:
    num, labels, stats, _ = cv2.connectedComponentsWithStats(
        mask.astype(np.uint8), connectivity=8)
    if num <= 1:
        return np.zeros_like(mask, bool)
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    out = labels == best
    # fill holes: everything not reachable from the border outside the mask
    inv = (~out).astype(np.uint8)
    num, labels = cv2.connectedComponents(inv, connectivity=4)
    border = set(np.unique(np.concatenate(
        [labels[0], labels[-1], labels[:, 0], labels[:, -1]])).tolist())
    holes = (inv > 0) & ~np.isin(labels, list(border))
    return out | holes


def _segment_mask(rng: np.random.Generator,
                  crop: np.ndarray) -> Optional[np.ndarray]:
    """Grow the segment under the centre of ``crop`` into an object mask."""
    from skimage.segmentation import felzenszwalb
    h, w = crop.shape[:2]
    s = 128 / max(h, w)
    small = cv2.resize(crop, (max(8, round(w * s)), max(8, round(h * s))),
                       interpolation=cv2.INTER_AREA)
    seg = felzenszwalb(
        small[..., ::-1],
        scale=float(rng.uniform(80, 500)),
        sigma=0.8,
        min_size=int(rng.integers(30, 120)))
    sh, sw = seg.shape
    goal = rng.uniform(0.15, 0.55) * sh * sw
    cy = int(np.clip(sh / 2 + rng.normal(0, sh / 10), 0, sh - 1))
    cx = int(np.clip(sw / 2 + rng.normal(0, sw / 10), 0, sw - 1))
    chosen = {int(seg[cy, cx])}
    region = seg == seg[cy, cx]
    kernel = np.ones((3, 3), np.uint8)
    for _ in range(12):
        if region.sum() >= goal:
            break
        ring = cv2.dilate(region.astype(np.uint8), kernel) > 0
        ring &= ~region
        neighbours = np.unique(seg[ring])
        if not len(neighbours):
            break
        pick = int(neighbours[rng.integers(len(neighbours))])
        chosen.add(pick)
        region = np.isin(seg, list(chosen))
    region = _largest_component(region)
    frac = region.mean()
    # reject slivers, window-filling regions and regions cut by the window
    touches = (region[0].mean() + region[-1].mean() + region[:, 0].mean() +
               region[:, -1].mean()) / 4
    if not 0.08 <= frac <= 0.8 or touches > 0.25:
        return None
    mask = cv2.resize(
        region.astype(np.uint8) * 255, (w, h), interpolation=cv2.INTER_LINEAR)
    return mask >= 128


def _blob_mask(rng: np.random.Generator, size: int = 160) -> np.ndarray:
    theta = np.linspace(0, 2 * np.pi, 96, endpoint=False)
    r = np.ones_like(theta)
    for k in range(2, int(rng.integers(3, 8))):
        r += rng.uniform(0, 0.45) / k**0.7 * np.cos(k * theta +
                                                   rng.uniform(0, 2 * np.pi))
    r = np.clip(r, 0.3, None)
    stretch = np.exp(rng.uniform(np.log(0.5), np.log(2.0)))
    x = r * np.cos(theta) * np.sqrt(stretch)
    y = r * np.sin(theta) / np.sqrt(stretch)
    return _fill(rng, x, y, size)


def _polygon_mask(rng: np.random.Generator, size: int = 160) -> np.ndarray:
    n = int(rng.integers(3, 10))
    theta = np.sort(rng.uniform(0, 2 * np.pi, n))
    r = rng.uniform(0.45, 1.0, n)
    if rng.random() < 0.5:  # convex-ish
        r[:] = rng.uniform(0.8, 1.0, n)
    return _fill(rng, r * np.cos(theta), r * np.sin(theta), size)


def _fill(rng: np.random.Generator, x: np.ndarray, y: np.ndarray,
          size: int) -> np.ndarray:
    x = x - x.min()
    y = y - y.min()
    scale = (size - 4) / max(x.max(), y.max(), 1e-6)
    pts = np.stack([x * scale + 2, y * scale + 2], 1)
    w = int(np.ceil(pts[:, 0].max())) + 3
    h = int(np.ceil(pts[:, 1].max())) + 3
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [np.round(pts * 4).astype(np.int32)], 255, cv2.LINE_8,
                 2)
    return mask > 0


def _texture(rng: np.random.Generator, photo: np.ndarray,
             shape: Tuple[int, int]) -> np.ndarray:
    h, w = shape
    crop = _window(rng, photo, (0.1, 0.6), (w / h * 0.8, w / h * 1.25))
    return cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA)


@lru_cache(maxsize=1)
def _cutout_shapes() -> List[Tuple[str, np.ndarray, Optional[np.ndarray]]]:
    """(name, mask, own pixels or None) of the train pool's real cut-outs."""
    from skimage import data
    horse = ~data.horse()
    chelsea = _to_bgr(data.chelsea())
    face = np.zeros(chelsea.shape[:2], np.uint8)
    cv2.ellipse(face, (210, 150), (120, 125), 0, 0, 360, 255, -1)
    return [('horse', horse, None), ('chelsea_face', face > 0, chelsea)]


class IdentityBank:
    """Deterministic object identities of one pool.

    Identity ``i`` of pool ``p`` is always the same sprite for the same
    photos. Near-copies (:meth:`sibling`) are other regions of the same
    photo, cut the same way: the hardest distractors.

    Args:
        photos (PhotoBank): The pool's photos.
        seed (int): Seed of the pool (not of the sequences). Defaults to 0.
    """

    def __init__(self, photos: PhotoBank, seed: int = 0) -> None:
        self.photos = photos
        self.seed = int(seed)

    @property
    def pool(self) -> str:
        return self.photos.split

    def _rng(self, index: int, variant: int = 0) -> np.random.Generator:
        return np.random.default_rng(
            [self.seed, zlib.crc32(self.pool.encode()), index, variant])

    def kind_and_photo(self, index: int) -> Tuple[str, int]:
        rng = self._rng(index)
        p = [0.45, 0.30, 0.15, 0.10] if self.pool == 'train' else \
            [0.50, 0.33, 0.17, 0.0]
        kind = KINDS[int(rng.choice(len(KINDS), p=p))]
        return kind, int(rng.integers(len(self.photos)))

    def identity(self, index: int, variant: int = 0) -> Sprite:
        """Sprite of identity ``index`` (``variant`` > 0: a near-copy from the
        same photo)."""
        return _cached_identity(self, index, variant)

    def source(self, index: int) -> str:
        """Name of the photo identity ``index`` is cut from."""
        return self.photos.names[self.kind_and_photo(index)[1]]

    def sibling(self, index: int, rng: np.random.Generator) -> Sprite:
        """A near-copy of identity ``index``: the same photo, another
        region."""
        return self.identity(index, variant=int(rng.integers(1, 1000)))

    def _build(self, index: int, variant: int) -> Sprite:
        kind, photo_idx = self.kind_and_photo(index)
        photo = self.photos.photo(photo_idx)
        rng = self._rng(index, variant)
        name = f'{self.pool}_{index:05d}_{kind}' + (f'_v{variant}'
                                                    if variant else '')
        if kind == 'segment':
            for _ in range(12):
                crop = _window(rng, photo, (0.12, 0.5))
                mask = _segment_mask(rng, crop)
                if mask is not None:
                    return _make_sprite(name, 'object', crop, mask)
            kind = 'blob'  # a photo without usable segments here
        if kind == 'cutout':
            shapes = _cutout_shapes()
            label, mask, own = shapes[int(rng.integers(len(shapes)))]
            img = own if own is not None else _texture(
                rng, photo, mask.shape[:2])
            return _make_sprite(name, 'object', img, mask)
        mask = _blob_mask(rng) if kind == 'blob' else _polygon_mask(rng)
        return _make_sprite(name, 'object', _texture(rng, photo, mask.shape),
                            mask)


@lru_cache(maxsize=4096)
def _cached_identity(bank: IdentityBank, index: int, variant: int) -> Sprite:
    return bank._build(index, variant)

