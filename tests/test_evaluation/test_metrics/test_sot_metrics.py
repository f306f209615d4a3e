# Copyright (c) mmtao contributors. All rights reserved.
"""SOTMetric, OxUvAMetric, VOTLTMetric and DAVISMetric on hand-made
videos whose scores are worked out in tests/test_evaluation/
test_functional."""
import csv
import json
import os.path as osp

import cv2
import numpy as np
import pytest

from mmtao.evaluation.functional import f_measure
from mmtao.registry import METRICS
from .sot_samples import NAN4, frame_sample, video_samples


def run(metric, samples):
    for s in samples:
        metric.process({}, [s])
    return metric.evaluate(len(samples))


def test_sot_metric_ope(tmp_path):
    preds = [[0, 0, 10, 10], [0, 0, 10, 5], [5, 0, 15, 10], [20, 20, 30, 30]]
    samples = video_samples(0, 'a', preds, [[0, 0, 10, 10]] * 4, [True] * 4)
    samples += video_samples(1, 'b', [[0, 0, 10, 10]] * 3,
                             [[0, 0, 10, 10], NAN4, [5, 5, 5, 5]],
                             [True, False, True])
    metric = METRICS.build(
        dict(
            type='SOTMetric',
            only_eval_visible=True,
            dataset_type='lasot',
            outfile_prefix=str(tmp_path)))
    res = run(metric, samples)
    assert res['sot/success'] == pytest.approx((37 / 84 + 20 / 63) / 2 * 100)
    assert res['sot/precision'] == pytest.approx((0.75 + 2 / 3) / 2 * 100)
    assert res['sot/norm_precision'] == pytest.approx(
        (0.25 + 2 / 3) / 2 * 100)
    boxes = np.loadtxt(osp.join(tmp_path, 'lasot', 'a.txt'), delimiter=',')
    np.testing.assert_allclose(boxes[2], [5, 0, 10, 10])
    with open(osp.join(tmp_path, 'lasot_curves.json')) as f:
        curves = json.load(f)
    assert len(curves['success']) == 21 and len(curves['precision']) == 51
    assert curves['per_video']['a']['precision'] == pytest.approx(75.0)


def test_oxuva_metric(tmp_path):
    gts = [[0, 0, 10, 10]] * 4 + [NAN4] * 3
    present = [True] * 4 + [False] * 3
    preds = [[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 4], [0, 0, 10, 10],
             [3, 3, 6, 6], [3, 3, 6, 6], [3, 3, 6, 6]]
    scores = [1.0, .9, .8, .3, .2, .7, .1]
    samples = video_samples(0, 'vid0001_obj0002', preds, gts, present,
                            scores)
    metric = METRICS.build(
        dict(type='OxUvAMetric', score_thr=0.5,
             outfile_prefix=str(tmp_path)))
    res = run(metric, samples)
    assert res['oxuva/TPR'] == pytest.approx(1 / 3)
    assert res['oxuva/TNR'] == pytest.approx(2 / 3)
    assert res['oxuva/MaxGM'] == pytest.approx(np.sqrt(2 / 9))
    assert res['oxuva/AUC'] == pytest.approx(5 / 9)
    with open(osp.join(tmp_path, 'oxuva', 'vid0001_obj0002.csv')) as f:
        rows = list(csv.reader(f))
    # frames 1..6 (not the init frame), presence as the toolkit's booleans
    assert [int(r[2]) for r in rows] == [1, 2, 3, 4, 5, 6]
    # frame 2: box [0,0,10,4] in a 100x100 image, score .8 >= .5
    assert rows[1] == [
        'vid0001', 'obj0002', '2', 'true', '0.800000', '0.000000',
        '0.100000', '0.000000', '0.040000'
    ]
    assert [r[3] for r in rows] == ['true', 'true', 'false', 'false',
                                    'true', 'false']


def _read_oxuva_csv(path):
    """Predictions keyed by absolute frame number, parsed the way the
    toolkit's loader does (boolean words only)."""
    words = dict(true=True, false=False)
    out = {}
    with open(path) as f:
        for row in csv.reader(f):
            out[int(row[2])] = (words[row[3]], float(row[4]),
                                [float(v) for v in row[5:9]])
    return out


def _toolkit_tpr(pred, labels):
    """TPR over ``labels`` {frame_num: (xmin, xmax, ymin, ymax)} with the
    toolkit's rule (the latest prediction at or before a label's frame)."""
    hits = 0
    for t, (x1, x2, y1, y2) in labels.items():
        present, _, (px1, px2, py1, py2) = pred[max(k for k in pred
                                                   if k <= t)]
        iw = max(0., min(x2, px2) - max(x1, px1))
        ih = max(0., min(y2, py2) - max(y1, py1))
        union = (x2 - x1) * (y2 - y1) + (px2 - px1) * (py2 - py1) - iw * ih
        hits += present and iw * ih / union >= 0.5
    return hits / len(labels)


def test_oxuva_metric_absolute_frame_numbers(tmp_path):
    # the case: a task starting at frame 60 (91 frames, 60..150),
    # labels at 90 / 120 / 150, a tracker perfect on them and elsewhere at
    # a wrong place: TPR 1 in mmtao and on the written file
    n, init = 91, 60
    labels = {90: [10, 10, 30, 30], 120: [40, 40, 60, 60],
              150: [70, 70, 90, 90]}
    samples = []
    for i in range(n):
        t = init + i
        gt = labels.get(t, [5, 5, 15, 15] if i == 0 else NAN4)
        pred = labels.get(t, [0, 80, 5, 85] if i else [5, 5, 15, 15])
        samples.append(
            frame_sample(0, i, n, 'vid0007_obj0001', pred, gt,
                         t in labels or i == 0, 0.9,
                         annotated=t in labels or i == 0, frame_num=t))
    metric = METRICS.build(
        dict(type='OxUvAMetric', sparse_annotations=True,
             outfile_prefix=str(tmp_path)))
    res = run(metric, samples)
    assert res['oxuva/TPR'] == 1.0
    assert 'oxuva/TNR' not in res  # no absent label: undefined
    pred = _read_oxuva_csv(
        osp.join(tmp_path, 'oxuva', 'vid0007_obj0001.csv'))
    assert sorted(pred) == list(range(61, 151))
    assert _toolkit_tpr(pred, {
        t: (b[0] / 100, b[2] / 100, b[1] / 100, b[3] / 100)
        for t, b in labels.items()
    }) == 1.0


def test_oxuva_metric_all_labels_absent(tmp_path):
    # every labelled frame is absent: TPR is 0/0, TNR = 2/3 is defined
    gts = [[0, 0, 10, 10]] + [NAN4] * 6
    annotated = [True, False, True, False, True, False, True]
    scores = [1., .9, .2, .9, .7, .9, .1]
    samples = [
        frame_sample(0, t, 7, 'v_o', [0, 0, 10, 10], gts[t], t == 0,
                     scores[t], annotated=annotated[t], frame_num=t)
        for t in range(7)
    ]
    metric = METRICS.build(
        dict(type='OxUvAMetric', sparse_annotations=True,
             outfile_prefix=str(tmp_path)))
    res = run(metric, samples)
    assert res == {'oxuva/TNR': pytest.approx(2 / 3)}
    # without any label after the init frame (test split): files only
    for s in samples[1:]:
        s['annotated'] = False
    assert run(metric, samples) == {}


def test_oxuva_metric_sparse_annotations(tmp_path):
    # frames 1 and 3 are unlabelled (NaN box, not visible): with the
    # 'annotated' flag they are skipped instead of counting as absent
    gts = [[0, 0, 10, 10], NAN4, [0, 0, 10, 10], NAN4, NAN4]
    visible = [True, False, True, False, False]
    annotated = [True, False, True, False, True]
    preds = [[0, 0, 10, 10]] * 5
    scores = [1., .9, .9, .9, .2]
    samples = [
        frame_sample(0, t, 5, 'v_o', preds[t], gts[t], visible[t], scores[t],
                     annotated=annotated[t]) for t in range(5)
    ]
    metric = METRICS.build(
        dict(type='OxUvAMetric', sparse_annotations=True,
             outfile_prefix=str(tmp_path)))
    res = run(metric, samples)
    # assessed: frame 2 (present, correct, .9 -> TP), frame 4 (absent,
    # .2 -> TN); the unlabelled frames 1, 3 would have been two FPs
    assert res['oxuva/TPR'] == 1.0 and res['oxuva/TNR'] == 1.0
    assert res['oxuva/AUC'] == pytest.approx(1.0)
    for s in samples:
        del s['annotated']
    with pytest.raises(KeyError, match="no 'annotated'"):
        run(metric, samples)


def test_vot_lt_metric(tmp_path):
    # the case of test_eval_vot_lt in xyxy: F .6 at Pr .75, Re .5
    box = [0, 0, 10, 10]
    samples = video_samples(0, 'a', [box, box, [0, 0, 10, 5], [5, 5, 8, 8]],
                            [box, box, box, NAN4], [True, True, True, False],
                            [1, .9, .4, .6])
    samples += video_samples(1, 'b', [box, box, [5, 5, 8, 8]],
                             [box, box, NAN4], [True, True, False],
                             [1, .8, .2])
    metric = METRICS.build(
        dict(type='VOTLTMetric', outfile_prefix=str(tmp_path)))
    res = run(metric, samples)
    assert res['votlt/F'] == pytest.approx(0.6)
    assert res['votlt/precision'] == pytest.approx(0.75)
    assert res['votlt/recall'] == pytest.approx(0.5)
    seq_dir = osp.join(tmp_path, 'longterm', 'a')
    with open(osp.join(seq_dir, 'a_001.txt')) as f:
        lines = f.read().splitlines()
    assert lines[0] == '1' and len(lines) == 4
    assert lines[2] == '0.0000,0.0000,10.0000,5.0000'
    with open(osp.join(seq_dir, 'a_001_confidence.value')) as f:
        conf = f.read().splitlines()
    assert conf[0] == '' and [float(c) for c in conf[1:]] == [.9, .4, .6]


def test_vot_lt_metric_no_box_on_absent_frame(tmp_path):
    # f1 visible but missed (confidence .9), f2 absent and no box at all:
    # written 0,0,0,0, i.e. an empty region like the nan ground truth:
    # overlap 1 at confidence 0. At threshold 0: Pr (0 + 0 + 1) / 3, Re
    # 0 / 2 ... + 1 / 2 -> F = 2 (1/3)(1/2) / (5/6) = 0.4 (0 if the two
    # empty regions scored 0)
    samples = video_samples(0, 'a', [[0, 0, 10, 10], [50, 50, 60, 60], None],
                            [[0, 0, 10, 10], [0, 0, 10, 10], NAN4],
                            [True, True, False], [1, .9, 1])
    metric = METRICS.build(
        dict(type='VOTLTMetric', outfile_prefix=str(tmp_path)))
    res = run(metric, samples)
    assert res['votlt/F'] == pytest.approx(0.4)
    assert res['votlt/precision'] == pytest.approx(1 / 3)
    assert res['votlt/recall'] == pytest.approx(0.5)
    with open(osp.join(tmp_path, 'longterm', 'a', 'a_001.txt')) as f:
        assert f.read().splitlines()[2] == '0.0000,0.0000,0.0000,0.0000'


def _toolkit_region(line):
    """A result-file line as the VOT toolkit reads it: None for a special
    region, else the rounded float32 rectangle."""
    fields = [float(v) for v in line.split(',')]
    if len(fields) != 4 or np.isnan(fields).any():
        return None
    return [int(v) for v in np.round(np.float32(fields))]


def _raster_overlap(a, b, width, height):
    """Overlap by painting pixel masks (the toolkit's rules, written out)."""
    ext = [(0, 0, 0, 0) if r is None else
           (r[0], r[1], r[0] + r[2] - 1, r[1] + r[3] - 1) for r in (a, b)]
    u = (min(ext[0][0], ext[1][0]), min(ext[0][1], ext[1][1]),
         max(ext[0][2], ext[1][2]), max(ext[0][3], ext[1][3]))
    if u[0] >= u[2] or u[1] >= u[3]:
        return 1.
    w = (max(0, u[0]), max(0, u[1]), min(width - 1, u[2]),
         min(height - 1, u[3]))
    if w[0] >= w[2] or w[1] >= w[3]:
        return 0.
    masks = []
    for r, e in zip((a, b), ext):
        m = np.zeros((height, width), bool)
        if r is not None:
            for y in range(max(e[1], w[1]), min(e[3], w[3]) + 1):
                for x in range(max(e[0], w[0]), min(e[2], w[2]) + 1):
                    m[y, x] = True
        masks.append(m)
    union = (masks[0] | masks[1]).sum()
    return (masks[0] & masks[1]).sum() / union if union else 0.


def test_vot_lt_metric_equals_toolkit_on_written_files(tmp_path):
    # random fractional boxes, absences and missing predictions: the
    # printed Pr / Re / F equal those computed from the written files by
    # pixel painting and the toolkit's threshold rule
    rng = np.random.default_rng(3)
    size = (40, 30)
    samples, gts = [], {}
    for v in range(3):
        n = 12
        xy = rng.uniform(-5, 30, (n, 2))
        wh = rng.uniform(0.3, 14, (n, 2))
        gt = np.concatenate([xy, xy + wh], 1)
        gt[rng.random(n) < .3] = np.nan
        gt[0] = [5.3, 6.5, 15.5, 14.2]
        pred = gt + rng.normal(0, 2, (n, 4))
        pred[:, 2:] = np.maximum(pred[:, 2:], pred[:, :2])
        pred[~np.isfinite(pred).all(1)] = rng.uniform(0, 20, 4)
        preds = [None if rng.random() < .15 else p.tolist() for p in pred]
        scores = np.round(rng.random(n), 2)
        gts[f's{v}'] = gt
        for i in range(n):
            samples.append(
                frame_sample(v, i, n, f's{v}', preds[i], gt[i],
                             bool(np.isfinite(gt[i]).all()), scores[i],
                             img_shape=(size[1], size[0])))
    metric = METRICS.build(
        dict(type='VOTLTMetric', outfile_prefix=str(tmp_path)))
    res = run(metric, samples)
    seqs = []
    for name, gt in gts.items():
        d = osp.join(tmp_path, 'longterm', name)
        with open(osp.join(d, f'{name}_001.txt')) as f:
            regions = [_toolkit_region(line) for line in f.read().split()]
        with open(osp.join(d, f'{name}_001_confidence.value')) as f:
            conf = [float(c) if c else 0. for c in f.read().split('\n')[:-1]]
        gt_xywh = [None if np.isnan(g).any() else _toolkit_region(
            ','.join(str(v) for v in [g[0], g[1], g[2] - g[0], g[3] - g[1]]))
            for g in gt]
        ov = [_raster_overlap(p, g, *size) for p, g in zip(regions, gt_xywh)]
        seqs.append((np.array(ov), np.array(conf),
                     sum(g is not None for g in gt_xywh)))
    all_conf = sorted(np.concatenate([s[1] for s in seqs]), reverse=True)
    best = (-1, 0, 0)
    for thr in [np.inf] + all_conf + [-np.inf]:
        pr = np.mean([s[0][s[1] >= thr].mean() if (s[1] >= thr).any() else 1
                      for s in seqs])
        re = np.mean([s[0][s[1] >= thr].sum() / s[2] for s in seqs])
        f = 2 * pr * re / (pr + re) if pr + re > 0 else 0
        best = max(best, (f, pr, re), key=lambda b: b[0])
    assert res['votlt/F'] == pytest.approx(best[0])
    assert res['votlt/precision'] == pytest.approx(best[1])
    assert res['votlt/recall'] == pytest.approx(best[2])


def test_davis_metric(tmp_path):
    size = 20
    gt = np.zeros((size, size), np.uint8)
    gt[5:9, 5:9] = 255
    samples = []
    half = gt > 0
    half[5:9, 5:7] = False
    for t in range(5):
        path = osp.join(tmp_path, 'gt', f'{t:08d}.png')
        if t == 0:
            import os
            os.makedirs(osp.dirname(path))
        cv2.imwrite(path, gt)
        # frame 0 / 4 wrong (not scored), frame 2 half the object: J = .5
        pred = np.zeros((size, size), bool) if t in (0, 4) else (
            half if t == 2 else gt > 0)
        samples.append(
            frame_sample(0, t, 5, 'seq', [5, 5, 9, 9], [5, 5, 9, 9], True,
                         img_shape=(size, size), mask=pred, mask_path=path))
    metric = METRICS.build(
        dict(type='DAVISMetric', outfile_prefix=str(tmp_path / 'out')))
    res = run(metric, samples)
    assert res['davis/J-Mean'] == pytest.approx(2.5 / 3)
    assert res['davis/F-Mean'] == pytest.approx(
        (2 + f_measure(half, gt > 0)) / 3)
    assert res['davis/J&F-Mean'] == pytest.approx(
        (res['davis/J-Mean'] + res['davis/F-Mean']) / 2)
    from PIL import Image
    png = Image.open(osp.join(tmp_path, 'out', 'davis', 'seq', '00002.png'))
    assert png.mode == 'P'
    np.testing.assert_array_equal(np.array(png), half.astype(np.uint8))


def test_davis_metric_rle_and_objects_of_one_video(tmp_path):
    import pycocotools.mask as mask_util
    from PIL import Image
    size = 16
    gt1 = np.zeros((size, size), bool)
    gt1[2:6, 2:6] = True
    gt2 = np.zeros((size, size), bool)
    gt2[8:14, 8:12] = True

    def rle(m):
        r = mask_util.encode(np.asfortranarray(m.astype(np.uint8)))
        r['counts'] = r['counts'].decode('ascii')  # as DAVISDataset stores
        return r

    samples = []
    for vid, (name, gt) in enumerate((('bike_1', gt1), ('bike_2', gt2))):
        for t in range(3):
            pred = gt if vid == 0 else np.zeros_like(gt)  # object 2 missed
            samples.append(
                frame_sample(vid, t, 3, name, [0, 0, 4, 4], [0, 0, 4, 4],
                             True, img_shape=(size, size), mask=pred,
                             mask_path=rle(gt)))
    metric = METRICS.build(
        dict(type='DAVISMetric', object_from_seq_name=True,
             outfile_prefix=str(tmp_path)))
    res = run(metric, samples)
    # object 1 perfect (J = F = 1), object 2 empty prediction (J = F = 0)
    assert res['davis/J-Mean'] == pytest.approx(0.5)
    assert res['davis/F-Mean'] == pytest.approx(0.5)
    assert res['davis/J-Recall'] == pytest.approx(0.5)
    png = np.array(Image.open(osp.join(tmp_path, 'davis', 'bike',
                                       '00001.png')))
    np.testing.assert_array_equal(png, gt1.astype(np.uint8))
    with pytest.raises(ValueError, match='<video>_<object id>'):
        metric.video_and_object('nounderscore')


def _two_halves(tmp_path, scores2):
    """The issue's DAVIS case: 4x4 frames, 3 frames, object 1 = left half,
    object 2 = right half; predictions: object 1 exact, object 2 the whole
    image (presence scores 1 and ``scores2``)."""
    import pycocotools.mask as mask_util
    left = np.zeros((4, 4), bool)
    left[:, :2] = True
    right = ~left

    def rle(m):
        return mask_util.encode(np.asfortranarray(m.astype(np.uint8)))

    samples = []
    for vid, (gt, pred, score) in enumerate(
        ((left, left, 1.), (right, np.ones((4, 4), bool), scores2))):
        for t in range(3):
            samples.append(
                frame_sample(vid, t, 3, f'cows_{vid + 1}', [0, 0, 4, 4],
                             [0, 0, 4, 4], True, score, img_shape=(4, 4),
                             mask=pred, mask_path=rle(gt)))
    metric = METRICS.build(
        dict(type='DAVISMetric', object_from_seq_name=True,
             outfile_prefix=str(tmp_path)))
    return run(metric, samples), left


def test_davis_metric_scores_the_merged_pngs(tmp_path):
    from PIL import Image
    # equal scores: object 2 (higher id) owns the whole image in the PNG;
    # object 1 has no pixel left (J = F = 0), object 2 covers twice its
    # ground truth (J = .5, F = 0): J-Mean .25, J&F .125 as the official
    # evaluation on the PNGs (per-object masks would give .75 / .625)
    res, left = _two_halves(tmp_path, 1.)
    assert res['davis/J-Mean'] == pytest.approx(0.25)
    assert res['davis/J&F-Mean'] == pytest.approx(0.125)
    png = np.array(Image.open(osp.join(tmp_path, 'davis', 'cows',
                                       '00001.png')))
    np.testing.assert_array_equal(png, np.full((4, 4), 2))
    # object 1 more confident: it keeps its half; object 2 = the rest,
    # exactly its ground truth
    res, left = _two_halves(tmp_path, 0.3)
    assert res['davis/J-Mean'] == pytest.approx(1.0)
    png = np.array(Image.open(osp.join(tmp_path, 'davis', 'cows',
                                       '00001.png')))
    np.testing.assert_array_equal(png, np.where(left, 1, 2))


def test_vot_lt_metric_scores_ground_truth_as_read(tmp_path):
    """The report's case: ground truth ``0.00,26.92,10.00,29.50`` and the
    result ``0,26,10,30`` on 100x100. The toolkit rounds h = 29.5 to 30
    (rows 27..56): overlap 290 / 310 and F = 2 O / 3 = 0.6237 with the
    scored initialisation frame. Through float32 xyxy, h came back as
    29.499998, rounded to 29: overlap 290 / 300 and F 0.6444."""
    import os
    from mmtao.datasets import VOTLTDataset
    from mmtao.datasets.transforms import PackSOTInputs
    root = str(tmp_path / 'data')
    os.makedirs(osp.join(root, 's', 'color'))
    for i in (1, 2):
        open(osp.join(root, 's', 'color', f'{i:08d}.jpg'), 'wb').close()
    line = '0.00,26.92,10.00,29.50'
    with open(osp.join(root, 's', 'groundtruth.txt'), 'w') as f:
        f.write(f'{line}\n{line}\n')
    with open(osp.join(root, 'list.txt'), 'w') as f:
        f.write('s\n')
    ds = VOTLTDataset(data_root=root, test_mode=True, pipeline=[])
    items = [ds[0], ds[1]]
    np.testing.assert_array_equal(items[1]['gt_bbox_xywh'],
                                  np.float32([0, 26.92, 10, 29.5]))
    assert 'gt_bbox_xywh' in PackSOTInputs().meta_keys
    # the premise: the xyxy round trip does not give back 29.5
    x1, y1, x2, y2 = items[1]['gt_bbox_ori']
    assert np.float32(y2 - y1) != np.float32(29.5)
    samples = [
        frame_sample(0, i, 2, 's', [0, 26, 10, 56], it['gt_bbox_ori'], True,
                     1.0, gt_bbox_xywh=it['gt_bbox_xywh'])
        for i, it in enumerate(items)
    ]
    overlap = _raster_overlap(
        _toolkit_region('0,26,10,30'), _toolkit_region(line), 100, 100)
    assert overlap == pytest.approx(290 / 310)
    metric = METRICS.build(
        dict(type='VOTLTMetric', outfile_prefix=str(tmp_path / 'out')))
    res = run(metric, samples)
    assert res['votlt/F'] == pytest.approx(2 * overlap / 3)
    assert round(res['votlt/F'], 4) == 0.6237
