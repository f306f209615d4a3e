# Copyright (c) mmtao contributors. All rights reserved.
import os
import os.path as osp
from abc import ABCMeta, abstractmethod
from collections import OrderedDict
from typing import Any, List, Optional, Tuple

import numpy as np
from mmengine.dataset import BaseDataset


class BaseSOTDataset(BaseDataset, metaclass=ABCMeta):
    """Base class of single object tracking datasets (MMTracking 1.x
    semantics on mmengine's :class:`BaseDataset`).

    ``data_list`` holds one record per video (per tracked object for
    multi-object sources such as DAVIS). What an index means depends on the
    mode:

    - **train mode** (``test_mode=False``): index ``i`` is video ``i``;
      ``len(dataset) == num_videos``. ``dataset[i]`` runs the pipeline on the
      whole-video item :meth:`get_video_info` returns, i.e. the merge of
      :meth:`get_img_infos_by_video` and :meth:`get_ann_infos_by_video`::

          dict(video_id=int, seq_name=str, video_length=N,
               frame_ids=np.ndarray[N] int64 (0-based),
               img_paths=list[str] (N),
               bboxes=np.ndarray[N, 4] float32 xyxy, original image coords,
                      NaN where the benchmark gives no box,
               visible=np.ndarray[N] bool (object present and annotated),
               bboxes_isvalid=np.ndarray[N] bool (finite, positive size),
               mask_paths=list (N) or None: per frame a 0/255 PNG path,
                          a COCO RLE dict (VOS datasets) or None,
               with_mask=bool,
               visible_ratio=np.ndarray[N] float32 (when known),
               sample_idx=i)

      The pipeline's first transform picks frames from it (e.g.
      ``SOTPairSampling`` draws a template and a search frame); when it
      returns None, mmengine's ``BaseDataset`` draws another video.
    - **test mode**: index ``i`` is a frame, ordered video by video
      (``(video_idx, frame_idx)`` from :meth:`locate`); ``len(dataset)`` is
      the total number of frames. ``dataset[i]`` runs the pipeline on the
      per-frame item of :meth:`get_frame_info` (see
      ``docs/en/data_contract.md`` §1); the contract's test pipeline is
      ``LoadImageFromFile`` → ``Resize(keep_ratio=True)`` →
      ``PackSOTInputs``.

    Annotations are parsed on first use and cached per video (an LRU of
    ``ann_cache_size`` videos). The first time a video is read, its frame
    files (and mask files) are checked to exist: a missing frame raises
    ``FileNotFoundError`` naming it.

    Subclasses implement :meth:`load_data_list` (one record per video with
    ``seq_name``, ``video_path``, ``video_length`` and either
    ``frame_names`` or ``framename_template`` + ``start_frame_id``, plus
    what their annotation reader needs) and
    :meth:`load_video_annotations`.

    Args:
        ann_cache_size (int): Videos whose parsed annotations are kept.
            Defaults to 512.
        check_frames (bool): Check that every frame file of a video exists
            when it is first read. Defaults to True.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`
            (``ann_file``, ``data_root``, ``data_prefix``, ``pipeline``,
            ``test_mode``, ...).
    """

    METAINFO = dict(classes=('object', ))

    def __init__(self,
                 *args,
                 ann_cache_size: int = 512,
                 check_frames: bool = True,
                 **kwargs) -> None:
        self.ann_cache_size = ann_cache_size
        self.check_frames = check_frames
        self._ann_cache: OrderedDict = OrderedDict()
        self._cum_lengths = np.zeros(0, dtype=np.int64)
        self._record_cache: Tuple[int, Optional[dict]] = (-1, None)
        super().__init__(*args, **kwargs)

    # ------------------------------------------------------------- loading
    @abstractmethod
    def load_data_list(self) -> List[dict]:
        """One record per video (see the class docstring)."""

    @abstractmethod
    def load_video_annotations(self, record: dict) -> dict:
        """Parse the annotations of one video.

        Args:
            record (dict): The video's record from :meth:`load_data_list`.

        Returns:
            dict: ``bboxes`` (np.ndarray[N, 4] float32 xyxy, NaN rows where
            there is no box), ``visible`` (np.ndarray[N] bool), optionally
            ``mask_paths`` (list[str] or None) and ``visible_ratio``.
        """

    def full_init(self) -> None:
        """Load the video records and index the frames for test mode."""
        if self._fully_initialized:
            return
        super().full_init()
        lengths = []
        for video_idx in range(self.num_videos):
            record = BaseDataset.get_data_info(self, video_idx)
            length = record.get('video_length')
            if not isinstance(length, (int, np.integer)) or length < 1:
                raise ValueError(
                    f'{type(self).__name__}: video {record.get("seq_name")} '
                    f'has video_length={length!r}; every video needs >= 1 '
                    'frame')
            lengths.append(int(length))
        self._cum_lengths = np.cumsum(np.asarray(lengths, dtype=np.int64))

    # ------------------------------------------------------------ indexing
    @property
    def num_videos(self) -> int:
        """Number of videos (train-mode length)."""
        if not self._fully_initialized:
            self.full_init()
        return BaseDataset.__len__(self)

    def __len__(self) -> int:
        if not self._fully_initialized:
            self.full_init()
        if self.test_mode:
            return int(self._cum_lengths[-1]) if len(self._cum_lengths) \
                else 0
        return self.num_videos

    def get_len_per_video(self, video_idx: int) -> int:
        """Number of frames of video ``video_idx``."""
        self._check_video_idx(video_idx)
        start = self._cum_lengths[video_idx - 1] if video_idx > 0 else 0
        return int(self._cum_lengths[video_idx] - start)

    def locate(self, idx: int) -> Tuple[int, int]:
        """Test-mode frame index to ``(video_idx, frame_idx)``."""
        total = len(self) if self.test_mode else int(self._cum_lengths[-1])
        if idx < 0:
            idx += total
        if not 0 <= idx < total:
            raise IndexError(f'frame index {idx} out of range for '
                             f'{total} frames')
        video_idx = int(np.searchsorted(self._cum_lengths, idx, side='right'))
        start = self._cum_lengths[video_idx - 1] if video_idx > 0 else 0
        return video_idx, int(idx - start)

    def _check_video_idx(self, video_idx: int) -> None:
        if not self._fully_initialized:
            self.full_init()
        if not 0 <= video_idx < self.num_videos:
            raise IndexError(f'video index {video_idx} out of range for '
                             f'{self.num_videos} videos')

    def _record(self, video_idx: int) -> dict:
        self._check_video_idx(video_idx)
        if self._record_cache[0] != video_idx:
            self._record_cache = (video_idx,
                                  BaseDataset.get_data_info(self, video_idx))
        return self._record_cache[1]

    # ------------------------------------------------------------ per video
    def frame_path(self, record: dict, frame_idx: int) -> str:
        """Path of frame ``frame_idx`` (0-based) of a video record."""
        if record.get('frame_names') is not None:
            name = record['frame_names'][frame_idx]
        else:
            name = record['framename_template'] % (
                record.get('start_frame_id', 0) + frame_idx)
        return osp.join(record['video_path'], name)

    def get_img_infos_by_video(self, video_idx: int) -> dict:
        """Frame paths of one video.

        Returns:
            dict: ``video_id``, ``seq_name``, ``video_length`` (N),
            ``frame_ids`` (np.ndarray[N] int64, 0-based) and ``img_paths``
            (list[str]).
        """
        record = self._record(video_idx)
        n = self.get_len_per_video(video_idx)
        return dict(
            video_id=video_idx,
            seq_name=record['seq_name'],
            video_length=n,
            frame_ids=np.arange(n, dtype=np.int64),
            img_paths=[self.frame_path(record, i) for i in range(n)])

    def get_ann_infos_by_video(self, video_idx: int) -> dict:
        """Annotations of one video (parsed once, then cached).

        Returns:
            dict: ``bboxes`` (np.ndarray[N, 4] float32 xyxy), ``visible``
            (np.ndarray[N] bool), ``bboxes_isvalid`` (np.ndarray[N] bool),
            ``mask_paths`` (list[str] or None), ``with_mask`` (bool) and,
            when the benchmark has it, ``visible_ratio``. The arrays are
            copies: changing them does not change the cache.
        """
        self._check_video_idx(video_idx)
        if video_idx in self._ann_cache:
            self._ann_cache.move_to_end(video_idx)
        else:
            self._ann_cache[video_idx] = self._load_and_check(video_idx)
            if len(self._ann_cache) > self.ann_cache_size:
                self._ann_cache.popitem(last=False)
        ann = self._ann_cache[video_idx]
        return {
            k: (v.copy() if isinstance(v, np.ndarray) else
                (list(v) if isinstance(v, list) else v))
            for k, v in ann.items()
        }

    def check_annotations(self) -> int:
        """Parse and check the annotations (and, with ``check_frames``, the
        frame files) of every video now.

        The loaders check a video when it is first read, which in a test run
        is inside a DataLoader worker after every video before it has been
        tracked: a bad line in the last video threw the whole run away.
        ``tools/test.py`` calls this before the run.

        Returns:
            int: The number of videos checked.

        Raises:
            ValueError, FileNotFoundError: the first bad annotation or
                missing file, named as the per-video check names it.
        """
        for video_idx in range(self.num_videos):
            self.get_ann_infos_by_video(video_idx)
        return self.num_videos

    def _load_and_check(self, video_idx: int) -> dict:
        record = self._record(video_idx)
        n = self.get_len_per_video(video_idx)
        ann = self.load_video_annotations(record)
        name = f'{type(self).__name__} video {record["seq_name"]!r}'
        bboxes = np.asarray(ann['bboxes'], dtype=np.float32)
        if bboxes.shape != (n, 4):
            raise ValueError(f'{name}: annotations give boxes of shape '
                             f'{bboxes.shape}, expected ({n}, 4) for its '
                             f'{n} frames')
        with np.errstate(invalid='ignore'):
            isvalid = np.isfinite(bboxes).all(1) & (
                bboxes[:, 2] > bboxes[:, 0]) & (
                    bboxes[:, 3] > bboxes[:, 1])
        visible = np.asarray(ann.get('visible', isvalid), dtype=bool)
        if visible.shape != (n, ):
            raise ValueError(f'{name}: visible flags of shape '
                             f'{visible.shape}, expected ({n}, )')
        mask_paths = ann.get('mask_paths')
        if mask_paths is not None and len(mask_paths) != n:
            raise ValueError(f'{name}: {len(mask_paths)} mask paths for '
                             f'{n} frames')
        out = dict(
            bboxes=bboxes,
            visible=visible & isvalid,
            bboxes_isvalid=isvalid,
            mask_paths=mask_paths,
            with_mask=mask_paths is not None)
        for key, value in ann.items():
            out.setdefault(key, value)
        if self.check_frames:
            self._check_files_exist(
                [self.frame_path(record, i) for i in range(n)])
            if mask_paths is not None:
                # Entries may also be in-memory RLE dicts (VOS datasets).
                self._check_files_exist(
                    [p for p in mask_paths if isinstance(p, str)])
        return out

    @staticmethod
    def _check_files_exist(paths: List[str]) -> None:
        """Raise FileNotFoundError naming the first missing file (one
        directory listing per directory, not one stat per file)."""
        listings = {}
        for path in paths:
            folder, name = osp.split(path)
            if folder not in listings:
                listings[folder] = set(os.listdir(folder)) \
                    if osp.isdir(folder) else set()
            if name not in listings[folder]:
                raise FileNotFoundError(
                    f'missing frame or mask file {path} (the annotations '
                    'list it)')

    def get_video_info(self, video_idx: int) -> dict:
        """The train-mode item: image and annotation infos of one video."""
        info = self.get_img_infos_by_video(video_idx)
        info.update(self.get_ann_infos_by_video(video_idx))
        info['sample_idx'] = video_idx
        return info

    def get_frame_info(self, video_idx: int, frame_idx: int) -> dict:
        """The test-mode item of one frame (data contract §1).

        Returns:
            dict: ``img_path``, ``frame_id``, ``video_id``,
            ``video_length``, ``seq_name``, ``gt_bbox_ori``
            (np.ndarray[4] float32 xyxy, all-NaN without a box),
            ``visible`` (bool), ``instances`` (one mmdet instance with the
            box when there is one, else empty), ``mask_path`` (the
            frame's ground-truth mask in original coordinates: a 0/255 PNG
            path, a COCO RLE dict for VOS datasets, or None).
        """
        ann = self.get_ann_infos_by_video(video_idx)
        record = self._record(video_idx)
        n = self.get_len_per_video(video_idx)
        if not 0 <= frame_idx < n:
            raise IndexError(f'frame {frame_idx} out of range for video '
                             f'{record["seq_name"]!r} with {n} frames')
        bbox = ann['bboxes'][frame_idx].astype(np.float32)
        instances = []
        if np.isfinite(bbox).all():
            instances.append(
                dict(bbox=bbox.tolist(), bbox_label=0, ignore_flag=0))
        mask_paths = ann['mask_paths']
        extra = {}
        if 'bboxes_xywh' in ann:  # the file's x,y,w,h (VOT-LT metric)
            extra['gt_bbox_xywh'] = ann['bboxes_xywh'][frame_idx]
        return dict(
            img_path=self.frame_path(record, frame_idx),
            frame_id=frame_idx,
            video_id=video_idx,
            video_length=n,
            seq_name=record['seq_name'],
            gt_bbox_ori=bbox,
            visible=bool(ann['visible'][frame_idx]),
            instances=instances,
            mask_path=mask_paths[frame_idx] if mask_paths else None,
            **extra)

    def get_data_info(self, idx: int) -> dict:
        """Train mode: the whole video ``idx``; test mode: frame ``idx``."""
        if not self._fully_initialized:
            self.full_init()
        if self.test_mode:
            info = self.get_frame_info(*self.locate(idx))
        else:
            info = self.get_video_info(idx)
        info['sample_idx'] = idx
        return info

    def prepare_data(self, idx: int) -> Any:
        return self.pipeline(self.get_data_info(idx))
