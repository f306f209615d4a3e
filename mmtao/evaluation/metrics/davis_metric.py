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
    value 1.

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
        return dict(pred_mask_rle=rle, mask_path=sample.get('mask_path'))

    def compute_video_metrics(
            self, videos: List[Dict[str, Any]]) -> Dict[str, float]:
        out_dir = osp.join(self.get_outfile_dir(), 'davis')
        pred_tracks = [
            np.stack([
                mask_util.decode(r['pred_mask_rle']).astype(bool)
                for r in v['records']
            ]) for v in videos
        ]
        self.write_pngs(out_dir, videos, pred_tracks)
        print_log(f'DAVIS masks of {len(videos)} tracks written to {out_dir}',
                  logger='current')
        if self.format_only:
            return {}
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
        res = eval_davis(gt_tracks, pred_tracks)
        print_log(
            f"DAVIS on {len(videos)} objects: J&F {res['J&F-Mean']:.4f}  "
            f"J {res['J-Mean']:.4f}  F {res['F-Mean']:.4f}",
            logger='current')
        return res

    def write_pngs(self, out_dir: str, videos: List[Dict[str, Any]],
                   pred_tracks: List[np.ndarray]) -> None:
        from PIL import Image
        merged: Dict[str, np.ndarray] = {}
        for v, masks in zip(videos, pred_tracks):
            video, oid = self.video_and_object(v['seq_name'])
            canvas = merged.setdefault(video, np.zeros(masks.shape, np.uint8))
            if canvas.shape != masks.shape:
                raise ValueError(f'DAVISMetric: tracks of video {video} '
                                 'differ in length or image size')
            # later objects are drawn over earlier ones where they overlap
            canvas[masks] = oid
        for seq, canvas in merged.items():
            mkdir_or_exist(osp.join(out_dir, seq))
            for t, frame in enumerate(canvas):
                img = Image.fromarray(frame, mode='P')
                img.putpalette(_PALETTE.reshape(-1).tolist())
                img.save(osp.join(out_dir, seq, f'{t:05d}.png'))
