# Copyright (c) mmtao contributors. All rights reserved.
"""tools/analysis/shortcut_probe.py and ao_by_size.py on tiny inputs."""
import json
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest

from conftest import REPO_ROOT

sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'analysis'))
import ao_by_size  # noqa: E402
import shortcut_probe  # noqa: E402
from mmtao.datasets.synthetic.context_render import Blend  # noqa: E402


def _photo(seed, h=240, w=320):
    rng = np.random.default_rng(seed)
    img = cv2.resize(
        rng.integers(0, 256, (h // 8, w // 8, 3), dtype=np.uint8), (w, h),
        interpolation=cv2.INTER_NEAREST)
    return img


def test_the_three_conditions_share_target_pixels_and_ground_truth():
    rng = np.random.default_rng(0)
    photo, other = _photo(0), _photo(1)
    ctx = None
    while ctx is None:
        ctx = shortcut_probe.plan_probe(
            rng, photo, 60.0, img_size=(160, 120), num_frames=3)
    out = {
        c: shortcut_probe.render_probe(ctx, other, c, Blend(1.5, 0.8, 0.3),
                                       7, img_size=(160, 120))
        for c in shortcut_probe.CONDITIONS
    }
    for t in range(3):
        m = out['context'][1][t]
        assert m.any()
        for c in ('pasted', 'blended'):
            np.testing.assert_array_equal(out[c][1][t], m)
        # hard paste: the very pixels of the target in its photo
        np.testing.assert_array_equal(out['pasted'][0][t][m],
                                      out['context'][0][t][m])
        # the surroundings differ (another photo)
        assert (out['pasted'][0][t][~m] != out['context'][0][t][~m]).any()


def test_ao_by_size_groups_frames_by_box_size(tmp_path):
    # one 480x480 sequence, 4 frames: frame 0 is not scored
    seq = tmp_path / 'S1'
    seq.mkdir()
    cv2.imwrite(str(seq / '00000001.jpg'), np.zeros((480, 480, 3), np.uint8))
    gt = [[0, 0, 10, 10], [0, 0, 20, 20], [0, 0, 100, 100], [0, 0, 200, 200]]
    pred = [[0, 0, 10, 10], [0, 0, 10, 20], [0, 0, 100, 100], [0, 0, 100, 200]]
    (tmp_path / 'list.txt').write_text('S1\n')
    (seq / 'groundtruth.txt').write_text(
        '\n'.join(','.join(map(str, b)) for b in gt) + '\n')
    res = tmp_path / 'res' / 'S1'
    res.mkdir(parents=True)
    (res / 'S1_001.txt').write_text(
        '\n'.join(','.join(map(str, b)) for b in pred) + '\n')
    t = ao_by_size.size_table(str(tmp_path), str(tmp_path / 'res'))
    # 20 px / 480 < 0.075: small, IoU 0.5; 100 px: medium, IoU 1;
    # 200 px: large, IoU 0.5
    assert t['small']['frames'] == 1 and t['small']['AO'] == 0.5
    assert t['medium']['frames'] == 1 and t['medium']['AO'] == 1.0
    assert t['large']['frames'] == 1 and t['large']['AO'] == 0.5
    assert abs(t['all']['AO'] - 2 / 3) < 1e-9
    assert t['all']['SR50'] == 1 / 3  # strict: IoU 0.5 is not > 0.5


def test_probe_folder_refuses_other_build_arguments(tmp_path):
    """An existing probe folder is scored as it was built: arguments left
    out come from its record, a different one given is an error naming it,
    and a folder without a record is refused (it could be either pool)."""
    out = str(tmp_path / 'probe')
    fresh = shortcut_probe.build_args(out, dict(pool='train', seed=None))
    assert fresh == dict(pool='train', seed=0, num_per_size=6,
                         num_frames=40, grow=None)
    os.makedirs(osp.join(out, 'context'))
    with open(osp.join(out, 'context', 'list.txt'), 'w') as f:
        f.write('PROBE_001_small\n')
    with pytest.raises(SystemExit, match='without probe_build.json'):
        shortcut_probe.build_args(out, dict(pool=None))
    with open(osp.join(out, shortcut_probe.BUILD_FILE), 'w') as f:
        json.dump(dict(fresh, seed=5), f)
    assert shortcut_probe.build_args(out, dict(pool=None, seed=None)) == dict(
        fresh, seed=5)
    asked = shortcut_probe.build_args(out, dict(pool='train', seed=5))
    assert asked['seed'] == 5
    with pytest.raises(SystemExit, match=r'--pool val \(built with train\)'):
        shortcut_probe.build_args(out, dict(pool='val', seed=5))
