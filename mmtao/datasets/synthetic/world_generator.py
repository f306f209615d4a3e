# Copyright (c) mmtao contributors. All rights reserved.
"""Synthetic tracking world: real cut-outs with exact masks on real photos.

See :class:`SyntheticWorldGenerator`; the command line is
``tools/misc/make_synthetic_world.py``. Planning, rendering and writing
live in :mod:`.world_plan`, :mod:`.world_render` and :mod:`.world_writer`.
"""
from typing import Tuple

from .sprite_bank import CATEGORIES
from .world_plan import (TARGET_ID, ClassicPlanner, _camera_path,  # noqa
                         _cover_level, _ease, _flip, _jitter_colour,
                         _keyframe_times, _ObjectPlan, _SequencePlan)
from .world_render import FrameRenderer
from .world_writer import WorldWriter, _WriteSequence  # noqa



class SyntheticWorldGenerator(ClassicPlanner, FrameRenderer, WorldWriter):
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
