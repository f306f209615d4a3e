# Copyright (c) mmtao contributors. All rights reserved.
import os.path as osp
from typing import Any, Dict, List, Optional

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


def load_gt_mask(path: str, object_id: Optional[int]) -> np.ndarray:
    """Binary mask of one object from a DAVIS / synthetic-world PNG.

    A palette PNG stores object ids: the mask is ``png == object_id``;
    without ``object_id`` every non-zero pixel is the object (the synthetic
    world's 0/255 masks).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'DAVISMetric: ground-truth mask {path} '
                                'does not exist')
    png = mmcv.imread(path, flag='unchanged', backend='pillow')
    if png.ndim == 3:
        png = png[..., 0]
    return png == object_id if object_id is not None else png > 0


@METRICS.register_module()
class DAVISMetric(BaseSOTMetric):
    """DAVIS 2017 J & F (mean, recall, decay) from box-initialised tracks.

    The predicted mask of a frame is ``pred_track_instances.masks[0]`` (the
    box filled in when the model has no mask head). The ground truth is
    read from the sample's ``mask_path`` metainfo; the sample's
    ``object_id`` (if any) selects the object in a DAVIS palette PNG.
    Frames are scored as the official evaluation does (first and last frame
    excluded, see :func:`mmtao.evaluation.functional.eval_davis`).

    Masks are written as DAVIS palette PNGs
    ``<outfile_prefix>/davis/<seq>/<frame:05d>.png`` with the object's id
    (``object_id`` or 1) as pixel value; tracks sharing a sequence name
    (several objects of one DAVIS video) are merged into one PNG per frame.

    Args:
        outfile_prefix (str, optional): Output directory.
        format_only (bool): Only write the PNGs.
        collect_device (str): Defaults to 'cpu'.
        prefix (str, optional): Defaults to 'davis'.
    """
    default_prefix: Optional[str] = 'davis'

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
            object_id=sample.get('object_id'))

    def compute_video_metrics(self,
                              videos: List[Dict[str, Any]]) -> Dict[str, float]:
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
            gt_tracks.append(
                np.stack([
                    load_gt_mask(p, r['object_id'])
                    for p, r in zip(paths, v['records'])
                ]))
        res = eval_davis(gt_tracks, pred_tracks)
        print_log(
            f"DAVIS on {len(videos)} objects: J&F {res['J&F-Mean']:.4f}  "
            f"J {res['J-Mean']:.4f}  F {res['F-Mean']:.4f}",
            logger='current')
        return res

    @staticmethod
    def write_pngs(out_dir: str, videos: List[Dict[str, Any]],
                   pred_tracks: List[np.ndarray]) -> None:
        from PIL import Image
        merged: Dict[str, np.ndarray] = {}
        for v, masks in zip(videos, pred_tracks):
            oid = v['records'][0]['object_id']
            oid = 1 if oid is None else int(oid)
            canvas = merged.setdefault(v['seq_name'],
                                       np.zeros(masks.shape, np.uint8))
            canvas[masks] = oid
        for seq, canvas in merged.items():
            mkdir_or_exist(osp.join(out_dir, seq))
            for t, frame in enumerate(canvas):
                img = Image.fromarray(frame, mode='P')
                img.putpalette(_PALETTE.reshape(-1).tolist())
                img.save(osp.join(out_dir, seq, f'{t:05d}.png'))
