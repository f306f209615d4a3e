# Copyright (c) mmtao contributors. All rights reserved.
import os.path as osp
from typing import Any, Dict, List, Optional, Tuple, Union

import mmcv
import numpy as np
import pycocotools.mask as mask_util
from mmengine.logging import print_log
from mmengine.utils import mkdir_or_exist

from mmtao.evaluation.functional import eval_davis
from mmtao.registry import METRICS
from .base_sot_metric import BaseSOTMetric, to_numpy

# DAVIS' PNG palette: index 0 black, then the PASCAL VOC colours
_PALETTE = np.zeros((256, 3), np.uint8)
for _i in range(256):
    _c, _v = _i, [0, 0, 0]
    for _j in range(8):
        for _k in range(3):
            _v[_k] |= ((_c >> _k) & 1) << (7 - _j)
        _c >>= 3
    _PALETTE[_i] = _v


def load_gt_mask(mask_ref: Union[str, dict], object_id: Optional[int],
                 shape: Tuple[int, int]) -> np.ndarray:
    """Binary ground-truth mask of one object and frame.

    Args:
        mask_ref (str | dict): A COCO RLE dict (what the DAVIS / YouTube-VOS
            datasets put in ``mask_path``) or a PNG path. A palette PNG
            stores object ids and the mask is ``png == object_id``; without
            ``object_id`` every non-zero pixel is the object (the synthetic
            world's 0/255 masks).
        object_id (int, optional): Object id in a palette PNG.
        shape (tuple): Expected ``(H, W)``.

    Returns:
        np.ndarray: (H, W) bool.
    """
    if isinstance(mask_ref, dict):
        rle = dict(mask_ref)
        if isinstance(rle.get('counts'), str):
            rle['counts'] = rle['counts'].encode('ascii')
        mask = mask_util.decode(rle).astype(bool)
    else:
        if not osp.isfile(mask_ref):
            raise FileNotFoundError(f'DAVISMetric: ground-truth mask '
                                    f'{mask_ref} does not exist')
        png = mmcv.imread(mask_ref, flag='unchanged', backend='pillow')
        if png.ndim == 3:
            png = png[..., 0]
        mask = png == object_id if object_id is not None else png > 0
    if mask.shape != tuple(shape):
        raise ValueError(f'DAVISMetric: ground-truth mask of shape '
                         f'{mask.shape}, expected {tuple(shape)}')
    return mask


@METRICS.register_module()
class DAVISMetric(BaseSOTMetric):
    """DAVIS 2017 J & F (mean, recall, decay) from box-initialised tracks.

    The predicted mask of a frame is ``pred_track_instances.masks[0]`` (the
    box filled in when the model has no mask head). The ground truth is the
    sample's ``mask_path`` metainfo: a COCO RLE dict (DAVISDataset) or a PNG
    path (synthetic world: non-zero = object). Frames are scored as the
    official evaluation does (first and last frame excluded, see
    :func:`mmtao.evaluation.functional.eval_davis`).

    Masks are written as DAVIS palette PNGs
    ``<outfile_prefix>/davis/<video>/<frame:05d>.png``. With
    ``object_from_seq_name`` (DAVISDataset names its per-object sequences
    ``<video>_<k>``) the tracks of one video are merged into one PNG per
    frame with value ``k``; otherwise every sequence is its own video with
    value 1. A PNG holds one object per pixel, so overlapping masks are
    resolved: a pixel claimed by several objects goes to the one with the
    highest presence score on that frame (ties to the higher object id).
    J and F are computed on those merged PNGs (object ``k`` = pixels of
    value ``k``), i.e. on what is submitted, as the official evaluation
    reads it.

    Args:
        object_from_seq_name (bool): Split ``<video>_<k>`` sequence names.
            Defaults to False.
        outfile_prefix (str, optional): Output directory.
        format_only (bool): Only write the PNGs.
        collect_device (str): Defaults to 'cpu'.
        prefix (str, optional): Defaults to 'davis'.
    """
    default_prefix: Optional[str] = 'davis'

    def __init__(self,
                 object_from_seq_name: bool = False,
                 outfile_prefix: Optional[str] = None,
                 format_only: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(outfile_prefix, format_only, collect_device, prefix)
        self.object_from_seq_name = object_from_seq_name

    def video_and_object(self, seq_name: str) -> Tuple[str, int]:
        """DAVIS video name and object id (palette value) of a track."""
        if self.object_from_seq_name:
            video, _, obj = seq_name.rpartition('_')
            if not video or not obj.isdigit():
                raise ValueError(f'DAVISMetric: sequence name {seq_name!r} '
                                 'is not <video>_<object id>')
            return video, int(obj)
        return seq_name, 1

    def extra_record(self, sample: dict, pred: dict) -> dict:
        h, w = (int(v) for v in sample['ori_shape'][:2])
        if 'masks' in pred and len(pred['masks']):
            mask = to_numpy(pred['masks'])[0].astype(bool)
            if mask.shape != (h, w):
                raise ValueError(
                    f'DAVISMetric: predicted mask of shape {mask.shape} for '
                    f'an image of shape {(h, w)} (masks must be in original '
                    'image coordinates)')
        else:
            # no mask head: the box is the best mask we have
            mask = np.zeros((h, w), bool)
            b = to_numpy(pred['bboxes']).reshape(-1, 4)
            if len(b) and np.isfinite(b[0]).all():
                x1, y1 = np.floor(b[0][:2]).astype(int).clip(0)
                x2, y2 = np.ceil(b[0][2:]).astype(int)
                mask[y1:y2, x1:x2] = True
        # RLE keeps the gathered results small
        rle = mask_util.encode(np.asfortranarray(mask.astype(np.uint8)))
        return dict(
            pred_mask_rle=rle,
            mask_path=sample.get('mask_path'),
            ann_png=sample.get('ann_png'),
            video_num_objects=sample.get('video_num_objects'))

    def compute_video_metrics(
            self, videos: List[Dict[str, Any]]) -> Dict[str, float]:
        out_dir = osp.join(self.get_outfile_dir(), 'davis')
        own_masks = [
            np.stack([
                mask_util.decode(r['pred_mask_rle']).astype(bool)
                for r in v['records']
            ]) for v in videos
        ]
        canvases = self.merge_objects(videos, own_masks)
        self.write_pngs(out_dir, canvases)
        print_log(f'DAVIS masks of {len(videos)} tracks written to {out_dir}',
                  logger='current')
        if self.format_only:
            return {}
        # score what was written: object k is the pixels of value k
        pred_tracks = []
        for v in videos:
            video, oid = self.video_and_object(v['seq_name'])
            pred_tracks.append(canvases[video] == oid)
        gt_tracks = []
        for v in videos:
            paths = [r['mask_path'] for r in v['records']]
            if any(p is None for p in paths):
                raise ValueError(
                    f"DAVISMetric: sequence {v['seq_name']} has frames "
                    'without mask_path; DAVIS needs ground-truth masks for '
                    'every frame (or set format_only=True)')
            w, h = v['img_size']
            gt_tracks.append(
                np.stack([load_gt_mask(p, None, (h, w)) for p in paths]))
        for gt, pred in self.untracked_objects(videos, canvases):
            gt_tracks.append(gt)
            pred_tracks.append(pred)
        res = eval_davis(gt_tracks, pred_tracks)
        print_log(
            f"DAVIS on {len(videos)} objects: J&F {res['J&F-Mean']:.4f}  "
            f"J {res['J-Mean']:.4f}  F {res['F-Mean']:.4f}",
            logger='current')
        return res

    def untracked_objects(
        self, videos: List[Dict[str, Any]], canvases: Dict[str, np.ndarray]
    ) -> List[Tuple[np.ndarray, np.ndarray]]:
        """Ground truth and prediction of the objects the official
        evaluation scores but no track follows: ids ``1..max id`` of a
        video's first annotation that are missing there (a gap in the ids;
        ``video_num_objects`` from :class:`DAVISDataset`). Their ground
        truth is read from the annotation PNGs (``ann_png``), their
        prediction is the (empty) pixels of that id in the written PNGs.

        Returns:
            list[tuple]: ``(gt, pred)`` (T, H, W) bool per such object.
        """
        if not self.object_from_seq_name:
            return []
        tracked: Dict[str, Tuple[set, Dict[str, Any]]] = {}
        for v in videos:
            video, oid = self.video_and_object(v['seq_name'])
            tracked.setdefault(video, (set(), v))[0].add(oid)
        out = []
        for video, (ids, v) in tracked.items():
            num = v['records'][0].get('video_num_objects')
            missing = [k for k in range(1, (num or 0) + 1) if k not in ids]
            if not missing:
                continue
            w, h = v['img_size']
            pngs = [r.get('ann_png') for r in v['records']]
            print_log(f'DAVIS video {video}: object id(s) {missing} are not '
                      'in the first frame but below its largest id; scored '
                      'as the official evaluation does (objects 1..max id)',
                      logger='current')
            for k in missing:
                gt = np.stack([
                    load_gt_mask(p, k, (h, w))
                    if p is not None else np.zeros((h, w), bool)
                    for p in pngs
                ])
                out.append((gt, canvases[video] == k))
        return out

    def merge_objects(self, videos: List[Dict[str, Any]],
                      masks: List[np.ndarray]) -> Dict[str, np.ndarray]:
        """One label map per video: the submitted DAVIS PNGs.

        Args:
            videos (list[dict]): The tracks (see ``group_by_video``).
            masks (list[np.ndarray]): Per track (T, H, W) bool masks.

        Returns:
            dict[str, np.ndarray]: Per video (T, H, W) uint8, 0 background,
            else the object id of the pixel's owner: among the objects
            whose masks cover it, the one with the highest presence score
            on that frame (ties: the higher object id).
        """
        by_video: Dict[str, List[Tuple[int, np.ndarray, np.ndarray]]] = {}
        for v, m in zip(videos, masks):
            video, oid = self.video_and_object(v['seq_name'])
            if not 0 < oid < 256:
                raise ValueError(f'DAVISMetric: object id {oid} of '
                                 f"{v['seq_name']} does not fit a palette "
                                 'PNG (1..255)')
            tracks = by_video.setdefault(video, [])
            if tracks and tracks[0][1].shape != m.shape:
                raise ValueError(f'DAVISMetric: tracks of video {video} '
                                 'differ in length or image size')
            if any(t[0] == oid for t in tracks):
                raise ValueError(f'DAVISMetric: two tracks of video {video} '
                                 f'have object id {oid}')
            low = -np.finfo(np.float64).max  # a claim without a score
            tracks.append((oid, m,
                           np.nan_to_num(
                               v['pred_scores'].astype(np.float64),
                               nan=low, neginf=low)))
        canvases = {}
        for video, tracks in by_video.items():
            tracks.sort(key=lambda t: t[0])
            ids = np.array([0] + [t[0] for t in tracks], np.uint8)
            canvas = np.zeros(tracks[0][1].shape, np.uint8)
            for f in range(len(canvas)):  # frame by frame: K x H x W
                claimed = np.stack([t[1][f] for t in tracks])
                claims = np.where(
                    claimed,
                    np.array([t[2][f] for t in tracks])[:, None, None],
                    -np.inf)
                # argmax takes the first maximum: reversed, ties go to the
                # higher object id
                best = len(tracks) - np.argmax(claims[::-1], axis=0)
                canvas[f] = ids[np.where(claimed.any(0), best, 0)]
            canvases[video] = canvas
        return canvases

    @staticmethod
    def write_pngs(out_dir: str, canvases: Dict[str, np.ndarray]) -> None:
        """Write the label maps as DAVIS palette PNGs."""
        from PIL import Image
        for seq, canvas in canvases.items():
            mkdir_or_exist(osp.join(out_dir, seq))
            for t, frame in enumerate(canvas):
                img = Image.fromarray(frame, mode='P')
                img.putpalette(_PALETTE.reshape(-1).tolist())
                img.save(osp.join(out_dir, seq, f'{t:05d}.png'))
