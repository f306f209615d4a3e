# Copyright (c) mmtao contributors. All rights reserved.
"""GOT-10k AO / SR of the trivial "tracker" that never moves its box.

Predicts the first-frame ground-truth box in every frame of every sequence
of a GOT-10k-layout folder and scores it with mmtao's GOT-10k metric
function: the floor a trained tracker must clear on that split.

Example::

    python tools/analysis/static_box_baseline.py data/synthetic/val/
"""
import argparse

import numpy as np

from mmtao.datasets import GOT10kDataset
from mmtao.evaluation.functional.eval_got10k import eval_got10k


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_root', help='GOT-10k layout folder')
    args = parser.parse_args()
    dataset = GOT10kDataset(
        data_root=args.data_root, ann_file='list.txt', test_mode=True,
        pipeline=[], serialize_data=False)
    preds, gts, vis, names = [], [], [], []
    for v in range(dataset.num_videos):
        ann = dataset.get_ann_infos_by_video(v)
        boxes = ann['bboxes']
        preds.append(np.repeat(boxes[:1], len(boxes), axis=0))
        gts.append(boxes)
        vis.append(ann['visible'])
        names.append(dataset.get_img_infos_by_video(v)['seq_name'])
    res = eval_got10k(preds, gts, vis, video_names=names)
    print(f'static first-frame box on {len(names)} sequences, '
          f'{res["num_frames"]} frames: AO {res["AO"]:.4f}  '
          f'SR0.5 {res["SR0.5"]:.4f}  SR0.75 {res["SR0.75"]:.4f}')


if __name__ == '__main__':
    main()
