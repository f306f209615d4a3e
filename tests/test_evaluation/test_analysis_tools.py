# Copyright (c) mmtao contributors. All rights reserved.
"""tools/analysis/plot_sot_curves.py and run_opencv_tracker.py on a tiny
hand-made GOT-10k-layout folder."""
import importlib.util
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from conftest import REPO_ROOT


def load_tool(name):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(REPO_ROOT, 'tools', 'analysis', f'{name}.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


GT = {
    's1': [[4, 4, 8, 8]] * 4,
    's2': [[10, 10, 6, 6]] * 3 + [[0, 0, 0, 0]],
}


@pytest.fixture
def got_folder(tmp_path):
    root = tmp_path / 'data'
    for seq, boxes in GT.items():
        os.makedirs(root / seq)
        for i, (x, y, w, h) in enumerate(boxes):
            img = np.full((32, 32, 3), 30, np.uint8)
            img[y:y + h, x:x + w] = 220
            cv2.imwrite(str(root / seq / f'{i + 1:08d}.jpg'), img)
        np.savetxt(root / seq / 'groundtruth.txt', boxes, fmt='%d',
                   delimiter=',')
    # s2's last frame: target absent
    np.savetxt(root / 's2' / 'absence.label', [0, 0, 0, 1], fmt='%d')
    (root / 'list.txt').write_text('s1\ns2\n')
    return root


def write_results(root, seq_boxes, layout='got10k'):
    for seq, boxes in seq_boxes.items():
        if layout == 'got10k':
            os.makedirs(root / seq, exist_ok=True)
            path = root / seq / f'{seq}_001.txt'
        else:
            os.makedirs(root, exist_ok=True)
            path = root / f'{seq}.txt'
        np.savetxt(path, boxes, fmt='%.1f', delimiter=',')


def test_plot_sot_curves(got_folder, tmp_path):
    tool = load_tool('plot_sot_curves')
    perfect = {s: [b if b[2] else [1, 1, 2, 2] for b in v]
               for s, v in GT.items()}
    write_results(tmp_path / 'perfect', perfect)
    # half-width boxes, in the one-file-per-sequence layout: IoU 0.5
    half = {s: [[b[0], b[1], b[2] / 2, b[3]] if b[2] else [1, 1, 2, 2]
                for b in v] for s, v in GT.items()}
    write_results(tmp_path / 'half', half, layout='ope')
    written = tool.main([
        str(got_folder), '--results', f'perfect={tmp_path / "perfect"}',
        f'half={tmp_path / "half"}', '--out-dir', str(tmp_path / 'plots')
    ])
    assert set(written) == {'overall', 'absence'}
    for paths in written.values():
        for p in paths:
            assert osp.getsize(p) > 1000 and p.endswith('.png')
    with open(tmp_path / 'plots' / 'summary.json') as f:
        summary = json.load(f)
    # s1: 4 frames with IoU 1 -> success 20/21 (IoU > t for t < 1);
    # s2: frames 0..2 IoU 1, frame 3 absent (a failure) -> 3/4 * 20/21
    assert summary['overall']['perfect']['success_auc'] == pytest.approx(
        (20 / 21 + 20 / 21 * 3 / 4) / 2 * 100)
    assert summary['overall']['perfect']['precision_20px'] == pytest.approx(
        (1 + 3 / 4) / 2 * 100)
    assert summary['overall']['perfect']['ao'] == pytest.approx(1.0)
    # half-width: IoU exactly 0.5 (> t for the 10 thresholds 0..0.45)
    assert summary['overall']['half']['success_auc'] == pytest.approx(
        (10 / 21 + 10 / 21 * 3 / 4) / 2 * 100)
    assert summary['overall']['half']['ao'] == pytest.approx(0.5)
    assert summary['absence']['half']['success_auc'] == pytest.approx(
        10 / 21 * 3 / 4 * 100)
    with pytest.raises(FileNotFoundError, match='no results'):
        tool.main([
            str(got_folder), '--results', f'x={tmp_path / "plots"}',
            '--out-dir', str(tmp_path / 'p2')
        ])


def test_run_opencv_tracker(got_folder, tmp_path):
    tool = load_tool('run_opencv_tracker')
    avail = tool.available_trackers()
    if not avail:
        pytest.skip(f'cv2 {cv2.__version__} has no classic tracker')
    name = sorted(avail)[0]
    out = tool.main(
        [str(got_folder), '--tracker', name, '--out',
         str(tmp_path / 'cv')])
    boxes = np.loadtxt(
        osp.join(out, 's1', 's1_001.txt'), delimiter=',', ndmin=2)
    assert boxes.shape == (4, 4)
    np.testing.assert_allclose(boxes[0], GT['s1'][0])
    times = np.loadtxt(osp.join(out, 's1', 's1_time.txt'))
    assert (times > 0).all()
    with pytest.raises(SystemExit, match='no NoSuchTracker'):
        tool.main([str(got_folder), '--tracker', 'NoSuchTracker', '--out',
                   str(tmp_path / 'x')])


def test_score_got10k_results_presence_and_seen_unseen(got_folder, tmp_path):
    """Hand-computed: s1 perfect (3 frames after the first, IoU 1); s2 two
    visible frames (IoU 1, then 0: a box elsewhere) and one absent frame.

    All: AO (3 + 1 + 0) / 5 = 0.8; TPR: TP 4 of 5 visible; TNR: the absent
    frame called absent (confidence 0.2 < 0.5) -> 1. s1's target is seen in
    the training world, s2's is not."""
    tool = load_tool('score_got10k_results')
    for seq, sprite in (('s1', 'train_00007_blob'), ('s2', 'val_00003_seg')):
        (got_folder / seq / 'meta_info.ini').write_text(
            f'[METAINFO]\nsprite = {sprite}\n')
    world = tmp_path / 'train_world' / 'annotations'
    os.makedirs(world)
    (world / 'identities.json').write_text(
        json.dumps({'SYN_Train_000001': ['train_00007_blob_lookalike']}))
    res = tmp_path / 'res'
    write_results(res, {
        's1': GT['s1'],
        's2': GT['s2'][:2] + [[20, 20, 6, 6], [1, 1, 2, 2]]
    })
    np.savetxt(res / 's1' / 's1_001_confidence.value', [1, .9, .9, .9])
    np.savetxt(res / 's2' / 's2_001_confidence.value', [1, .9, .9, .2])
    table = tool.main([
        str(got_folder), '--results', f'ours={res}', '--train-world',
        str(tmp_path / 'train_world')
    ])['ours']
    assert table['all']['AO'] == pytest.approx(0.8)
    assert table['all']['SR0.5'] == pytest.approx(0.8)
    assert table['all']['TPR'] == pytest.approx(0.8)
    assert table['all']['TNR'] == pytest.approx(1.0)
    assert table['seen']['AO'] == pytest.approx(1.0)
    assert table['unseen']['AO'] == pytest.approx(0.5)
    assert table['unseen']['TNR'] == pytest.approx(1.0)
    # per sequence against a tracker perfect on both: s1 AO 1 vs 1 (equal),
    # s2 0.5 vs 1 (worse by 0.5 > 0.05); the perfect one's own entry has
    # no comparison
    perfect = tmp_path / 'perfect'
    write_results(perfect, {'s1': GT['s1'],
                            's2': GT['s2'][:3] + [[1, 1, 2, 2]]})
    both = tool.main([
        str(got_folder), '--results', f'perfect={perfect}', f'ours={res}',
        '--per-sequence', 'perfect'
    ])
    assert both['perfect']['all']['seq_AO'] == {'s1': 1.0, 's2': 1.0}
    assert both['ours']['all']['seq_AO'] == pytest.approx({'s1': 1.0,
                                                           's2': 0.5})
    assert both['ours']['all']['better'] == {}
    assert both['ours']['all']['worse'] == pytest.approx({'s2': -0.5})
    assert 'worse' not in both['perfect']['all']
    with pytest.raises(SystemExit):
        tool.main([str(got_folder), '--results', f'ours={res}',
                   '--per-sequence', 'paper'])


def _world_coco(tmp_path, anns):
    """A world's annotations/coco.json: one video 'v', keyframes 0, 10, 20;
    ``anns`` are (frame_id, instance_id, [x, y, w, h])."""
    images = [dict(id=i + 1, file_name=f'v/{f + 1:08d}.jpg', width=64,
                   height=48, video='v', frame_id=f)
              for i, f in enumerate((0, 10, 20))]
    ids = {f: i + 1 for i, f in enumerate((0, 10, 20))}
    annotations = [dict(id=j + 1, image_id=ids[f], category_id=1, bbox=b,
                        instance_id=inst)
                   for j, (f, inst, b) in enumerate(anns)]
    os.makedirs(tmp_path / 'annotations')
    with open(tmp_path / 'annotations' / 'coco.json', 'w') as f:
        json.dump(dict(images=images, annotations=annotations,
                       categories=[dict(id=1, name='object')]), f)


def test_multi_object_world_scores_by_hand(tmp_path):
    tool = load_tool('multi_object_world')
    _world_coco(tmp_path, [
        (0, 'v/1', [0, 0, 10, 10]), (0, 'v/2', [20, 0, 10, 10]),
        (0, 'v/3', [40, 40, 4, 4]),  # under --min-size: not tracked
        (10, 'v/1', [0, 0, 10, 10]), (10, 'v/2', [20, 0, 10, 10]),
        (20, 'v/2', [30, 0, 10, 10]),  # object 1 out of view at 20
    ])
    videos = tool.load_keyframes(str(tmp_path), min_size=5)
    assert videos['v']['objects'] == ['v/1', 'v/2']
    tracks = {
        # frame 10: track 0 half on its object (IoU 5x10 / 150 = 1/3) and
        # track 1 on object 1 (a swap), both on one place (a shared pair)
        10: [[5, 0, 15, 10], [0, 0, 10, 10]],
        # frame 20: track 1 exactly on its object (which moved), track 0
        # (its object out of view) on the same box: a shared pair
        20: [[30, 0, 40, 10], [30, 0, 40, 10]],
    }
    got = tool.score_video(videos['v'], tracks)
    iou_10_0 = 50 / 150
    assert got['ious'] == pytest.approx([iou_10_0, 0., 1.], abs=1e-4)
    assert got['present'] == 3 and got['keyframes'] == 2
    assert got['ao'] == pytest.approx((iou_10_0 + 1.) / 3, abs=1e-4)
    assert got['sr50'] == pytest.approx(1 / 3)
    # track 1 on object 1 at frame 10 (IoU 1 with it, 0 with its own)
    assert got['swaps'] == 1
    # tracks 0 and 1: IoU 1/3 at frame 10 (not shared), 1 at frame 20
    assert got['shared'] == 1
    pooled = tool.pooled({'v': got})
    assert pooled['swap_rate'] == pytest.approx(1 / 3)
    # a world without instance ids is refused, naming the file
    os.remove(tmp_path / 'annotations' / 'coco.json')
    _world_coco(tmp_path / 'old', [(0, 'v/1', [0, 0, 10, 10])])
    path = tmp_path / 'old' / 'annotations' / 'coco.json'
    data = json.loads(path.read_text())
    del data['annotations'][0]['instance_id']
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match='instance_id'):
        tool.load_keyframes(str(tmp_path / 'old'), 5)
    with pytest.raises(FileNotFoundError, match='coco.json'):
        tool.load_keyframes(str(tmp_path / 'none'), 5)
