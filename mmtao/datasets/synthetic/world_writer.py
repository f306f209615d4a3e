# Copyright (c) mmtao contributors. All rights reserved.
"""Writing a world: GOT-10k folders, the COCO json, identities, workers."""
import configparser
import io
import json
import os
import os.path as osp
from multiprocessing import get_context
from typing import Dict, List

import cv2
import numpy as np
from mmengine.utils import ProgressBar

from .sprite_bank import build_background_bank, build_sprite_bank
from .world_plan import TARGET_ID, _cover_level, _ObjectPlan, _SequencePlan


class WorldWriter:
    """Writes planned, rendered sequences (a mixin of
    :class:`~.world_generator.SyntheticWorldGenerator`)."""


    def write_sequence(self, out_dir: str, seq_idx: int) -> Dict[str, list]:
        """Render and write one sequence.

        Returns:
            dict: ``images`` and ``annotations`` COCO entries of this
            sequence with ids local to it (``image_id`` = frame index,
            annotation ``id`` = 0); :meth:`generate` renumbers them.
        """
        W, H = self.img_size
        name = self.seq_name(seq_idx)
        seq_dir = osp.join(out_dir, name)
        os.makedirs(osp.join(seq_dir, 'masks'), exist_ok=True)
        plan = self.plan_sequence(seq_idx)
        target = next(o for o in plan.objects if o.obj_id == TARGET_ID)
        labelled = [o for o in plan.objects if o.category is not None]
        gt, absence, cover, cut = [], [], [], []
        images, annotations = [], []
        jpeg = [int(cv2.IMWRITE_JPEG_QUALITY), self.jpeg_quality]
        for t in range(self.num_frames):
            frame, obj_map = self.render_frame(plan, t)
            file_name = f'{t + 1:08d}'
            cv2.imwrite(osp.join(seq_dir, file_name + '.jpg'), frame, jpeg)
            mask = (obj_map == TARGET_ID).astype(np.uint8)
            visible = int(mask.sum())
            if visible < self.min_visible_px:
                mask[:] = 0
                gt.append('0.0000,0.0000,0.0000,0.0000')
                absence.append(1)
                cover.append(0)
            else:
                x, y, w, h = cv2.boundingRect(mask)
                gt.append(f'{x:.4f},{y:.4f},{w:.4f},{h:.4f}')
                absence.append(0)
                cover.append(_cover_level(visible / target.amodal_area(t)))
            cut.append(int(self._is_truncated(target, t)))
            cv2.imwrite(
                osp.join(seq_dir, 'masks', file_name + '.png'), mask * 255)
            if t % self.coco_interval:
                continue
            images.append(
                dict(
                    id=t,
                    file_name=f'{name}/{file_name}.jpg',
                    width=W,
                    height=H,
                    video=name,
                    frame_id=t))
            counts = np.bincount(obj_map.ravel(), minlength=256)
            for obj in labelled:
                if counts[obj.obj_id] < self.min_visible_px:
                    continue
                obj_mask = np.asfortranarray(
                    (obj_map == obj.obj_id).astype(np.uint8))
                annotations.append(
                    self._coco_ann(obj_mask, t, obj, int(counts[obj.obj_id]),
                                   f'{name}/{obj.obj_id}'))
        for fname, lines in (('groundtruth.txt', gt), ('absence.label',
                                                       absence),
                             ('cover.label', cover), ('cut_by_image.label',
                                                      cut)):
            with open(osp.join(seq_dir, fname), 'w') as f:
                f.write('\n'.join(str(v) for v in lines) + '\n')
        meta = configparser.ConfigParser()
        meta['METAINFO'] = dict(
            object_class=target.category,
            sprite=target.sprite.name,
            resolution=f'({W}, {H})',
            seed=str(self.seed),
            split=self.split,
            source=self.source_note(plan))
        buf = io.StringIO()
        meta.write(buf)
        with open(osp.join(seq_dir, 'meta_info.ini'), 'w') as f:
            f.write(buf.getvalue())
        return dict(
            images=images,
            annotations=annotations,
            identities=[o.sprite.name for o in plan.objects])

    def warm_up(self) -> None:
        """Load what every sequence needs (before worker processes fork)."""
        build_sprite_bank()
        build_background_bank()

    def source_note(self, plan: _SequencePlan) -> str:
        """The ``source`` line of ``meta_info.ini``."""
        return 'mmtao synthetic world (scikit-image photos)'

    def _coco_ann(self, mask: np.ndarray, t: int, obj: _ObjectPlan, area: int,
                  instance: str) -> dict:
        from pycocotools import mask as mask_utils
        rle = mask_utils.encode(mask)
        rle['counts'] = rle['counts'].decode('ascii')
        x, y, w, h = cv2.boundingRect(mask)
        return dict(
            id=0,
            image_id=t,
            category_id=self.categories.index(obj.category) + 1,
            bbox=[x, y, w, h],
            area=area,
            iscrowd=0,
            segmentation=rle,
            instance_id=instance)

    def _written_results(self, out_dir: str) -> List[Dict[str, list]]:
        """Per-sequence results of a world already in ``out_dir`` (as
        :meth:`write_sequence` returned them), read back from its files."""
        paths = [
            osp.join(out_dir, 'list.txt'),
            osp.join(out_dir, 'annotations', 'coco.json'),
            osp.join(out_dir, 'annotations', 'identities.json')
        ]
        if not all(osp.isfile(p) for p in paths):
            return []
        with open(paths[0]) as f:
            names = [line.strip() for line in f if line.strip()]
        with open(paths[1]) as f:
            coco = json.load(f)
        with open(paths[2]) as f:
            identities = json.load(f)
        info = coco.get('info', {})
        mine = dict(seed=self.seed, split=self.split,
                    num_frames=self.num_frames, img_size=list(self.img_size))
        if any(info.get(k) != v for k, v in mine.items()) or names != [
                self.seq_name(i) for i in range(len(names))
        ] or [c['name'] for c in coco['categories']] != list(self.categories):
            raise ValueError(
                f'{out_dir} holds another world ({info}); extending needs the '
                f'same arguments ({mine})')
        results = {n: dict(images=[], annotations=[], identities=identities[n])
                   for n in names}
        frame_of = {}
        for img in coco['images']:
            frame_of[img['id']] = (img['video'], img['frame_id'])
            results[img['video']]['images'].append(
                dict(img, id=img['frame_id']))
        for ann in coco['annotations']:
            video, frame = frame_of[ann['image_id']]
            results[video]['annotations'].append(
                dict(ann, id=0, image_id=frame))
        return [results[n] for n in names]

    def generate(self,
                 out_dir: str,
                 num_videos: int,
                 num_workers: int = 1,
                 progress: bool = False,
                 extend: bool = False) -> str:
        """Write ``num_videos`` sequences, ``list.txt`` and the COCO json.

        Args:
            out_dir (str): Output directory (created).
            num_videos (int): Number of sequences.
            num_workers (int): Processes rendering sequences in parallel; the
                output does not depend on it. Defaults to 1.
            progress (bool): Show mmengine's progress bar. Defaults to False.
            extend (bool): Keep the sequences of a world already written in
                ``out_dir`` by the same arguments and render only the missing
                ones: the result equals a fresh run with ``num_videos``.
                Defaults to False.

        Returns:
            str: Path of ``annotations/coco.json``.
        """
        if num_videos < 1:
            raise ValueError(f'num_videos must be >= 1, got {num_videos}')
        os.makedirs(osp.join(out_dir, 'annotations'), exist_ok=True)
        results = self._written_results(out_dir)[:num_videos] \
            if extend else []
        todo = range(len(results), num_videos)
        # Build the banks before forking so workers share them.
        self.warm_up()
        bar = ProgressBar(len(todo)) if progress and len(todo) else None
        if num_workers > 1:
            with get_context('fork').Pool(num_workers) as pool:
                for res in pool.imap(_WriteSequence(self, out_dir), todo):
                    results.append(res)
                    if bar is not None:
                        bar.update()
        else:
            for i in todo:
                results.append(self.write_sequence(out_dir, i))
                if bar is not None:
                    bar.update()
        with open(osp.join(out_dir, 'list.txt'), 'w') as f:
            f.write('\n'.join(self.seq_name(i)
                              for i in range(num_videos)) + '\n')
        images, annotations = [], []
        for res in results:
            remap = {}
            for img in res['images']:
                remap[img['id']] = len(images) + 1
                images.append(dict(img, id=len(images) + 1))
            for ann in res['annotations']:
                annotations.append(
                    dict(
                        ann,
                        id=len(annotations) + 1,
                        image_id=remap[ann['image_id']]))
        coco = dict(
            info=dict(
                description='mmtao synthetic world',
                seed=self.seed,
                split=self.split,
                num_frames=self.num_frames,
                img_size=list(self.img_size)),
            images=images,
            annotations=annotations,
            categories=[
                dict(id=i + 1, name=c, supercategory='object')
                for i, c in enumerate(self.categories)
            ])
        path = osp.join(out_dir, 'annotations', 'coco.json')
        with open(path, 'w') as f:
            json.dump(coco, f, separators=(',', ':'))
        # which object identities each sequence shows (split checks)
        with open(osp.join(out_dir, 'annotations', 'identities.json'),
                  'w') as f:
            json.dump({
                self.seq_name(i): res['identities']
                for i, res in enumerate(results)
            },
                      f,
                      indent=0)
        return path


class _WriteSequence:
    """Picklable ``seq_idx -> write_sequence`` for a process pool."""

    def __init__(self, generator: 'WorldWriter',
                 out_dir: str) -> None:
        self.generator = generator
        self.out_dir = out_dir

    def __call__(self, seq_idx: int) -> Dict[str, list]:
        return self.generator.write_sequence(self.out_dir, seq_idx)
