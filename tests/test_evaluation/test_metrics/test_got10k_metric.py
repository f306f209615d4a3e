# Copyright (c) mmtao contributors. All rights reserved.
import os.path as osp
import zipfile

import numpy as np
import pytest

from mmtao.registry import METRICS
from .sot_samples import NAN4, GOT_VIDEOS, frame_sample, got_samples


def run(metric, samples):
    for s in samples:
        metric.process({}, [s])
    return metric.evaluate(len(samples))


def test_got10k_metric_scores_and_files(tmp_path):
    metric = METRICS.build(
        dict(type='GOT10kMetric', outfile_prefix=str(tmp_path)))
    samples = got_samples()
    # frame order and duplicated frames (sampler padding) do not matter
    order = [4, 0, 6, 1, 2, 3, 5, 1]
    for i in order:
        metric.process({}, [samples[i]])
    res = metric.evaluate(len(samples))
    assert set(res) == {'got10k/AO', 'got10k/SR0.5', 'got10k/SR0.75'}
    assert res['got10k/AO'] == pytest.approx(2.35 / 4)
    assert res['got10k/SR0.5'] == pytest.approx(0.25)
    assert res['got10k/SR0.75'] == pytest.approx(0.25)

    for v in GOT_VIDEOS:
        seq = v['seq_name']
        boxes = np.loadtxt(
            osp.join(tmp_path, seq, f'{seq}_001.txt'), delimiter=',', ndmin=2)
        xyxy = np.array(v['preds'], float)
        np.testing.assert_allclose(
            boxes, np.c_[xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]], atol=1e-4)
        times = np.loadtxt(osp.join(tmp_path, seq, f'{seq}_time.txt'))
        assert times.shape == (len(xyxy), ) and (times > 0).all()
        conf = np.loadtxt(
            osp.join(tmp_path, seq, f'{seq}_001_confidence.value'))
        np.testing.assert_allclose(conf, np.ones(len(xyxy)))
    with zipfile.ZipFile(osp.join(tmp_path, 'got10k_submission.zip')) as zf:
        names = set(zf.namelist())
    assert {'a/a_001.txt', 'a/a_time.txt', 'b/b_001.txt',
            'b/b_001_confidence.value'} <= names


def test_got10k_metric_test_split_and_empty_prediction(tmp_path):
    # test split: only frame 0 has a box -> files only, no scores;
    # an empty prediction is written as 0,0,0,0 (a miss)
    nan4 = [np.nan] * 4
    samples = [
        frame_sample(0, 0, 3, 'x', [1, 1, 5, 5], [1, 1, 5, 5], True),
        frame_sample(0, 1, 3, 'x', None, nan4, False),
        frame_sample(0, 2, 3, 'x', [2, 2, 6, 7], nan4, False, score=0.25),
    ]
    metric = METRICS.build(
        dict(type='GOT10kMetric', outfile_prefix=str(tmp_path)))
    assert run(metric, samples) == {}
    boxes = np.loadtxt(osp.join(tmp_path, 'x', 'x_001.txt'), delimiter=',')
    np.testing.assert_allclose(boxes,
                               [[1, 1, 4, 4], [0, 0, 0, 0], [2, 2, 4, 5]])
    conf = np.loadtxt(osp.join(tmp_path, 'x', 'x_001_confidence.value'))
    np.testing.assert_allclose(conf, [1, 0, 0.25])


def test_missing_frame_and_bad_sample(tmp_path):
    metric = METRICS.build(
        dict(type='GOT10kMetric', outfile_prefix=str(tmp_path)))
    samples = got_samples()
    kept = samples[:2] + samples[3:]  # frame 2 of video 'a' lost
    for s in kept:
        metric.process({}, [s])
    with pytest.raises(RuntimeError, match='6 distinct frames'):
        metric.evaluate(len(samples))
    with pytest.raises(RuntimeError, match=r'no result for frames \[2\]'):
        metric.evaluate(len(kept))
    bad = dict(samples[0])
    del bad['gt_bbox_ori']
    with pytest.raises(KeyError, match='gt_bbox_ori'):
        metric.process({}, [bad])


def test_got10k_metric_presence_tpr_tnr(tmp_path):
    """Hand-computed: after the init frame, one TP, two FN (called absent;
    wrong box), one TN and one FP -> TPR 1/3, TNR 1/2 at threshold 0.5."""
    from .sot_samples import video_samples
    box, far = [0, 0, 10, 10], [50, 50, 60, 60]
    samples = video_samples(
        0,
        'p',
        preds=[box, box, box, far, far, [20, 20, 30, 30]],
        gts=[box, box, box, NAN4, NAN4, box],
        visible=[True, True, True, False, False, True],
        scores=[1.0, 0.9, 0.2, 0.3, 0.8, 0.9])
    metric = METRICS.build(
        dict(
            type='GOT10kMetric',
            outfile_prefix=str(tmp_path),
            presence_threshold=0.5))
    res = run(metric, samples)
    assert res['got10k/TPR'] == pytest.approx(1 / 3)
    assert res['got10k/TNR'] == pytest.approx(1 / 2)
    assert res['got10k/num_absent'] == 2
    # AO is unchanged by the presence scores: IoUs 1, 1, 0 on visible frames
    assert res['got10k/AO'] == pytest.approx(2 / 3)
