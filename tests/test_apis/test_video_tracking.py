# Copyright (c) mmtao contributors. All rights reserved.
"""The shared video loop (mmtao.apis.video_tracking) and the CLI demo on
it: faults injected (corrupt frame, frame of another size, unwritable
folder, 0 / 1 frames) and the outputs checked."""
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest

from tiny_video import REPO_ROOT, TINY_TAO
from tiny_video import moving_box_frame as _frame
from tiny_video import tiny_inferencer
from mmtao.apis import TrackOutputWriter, iter_tracks, track_video
from mmtao.utils.video_io import (FrameError, FrameReader, Mp4Writer,
                                  ensure_writable_dir)

DEMO = osp.join(REPO_ROOT, 'tools/demo/demo_track.py')
BOX = [20., 30., 50., 60.]  # xyxy


@pytest.fixture(scope='module')
def inferencer():
    return tiny_inferencer()


def _folder(root, n, bad=None, other_size=None):
    os.makedirs(root, exist_ok=True)
    for i in range(n):
        path = osp.join(root, f'{i:04d}.jpg')
        if i == bad:
            with open(path, 'wb') as f:
                f.write(b'\xff\xd8 not a jpeg')
        elif i == other_size:
            cv2.imwrite(path, _frame(i, 64, 80))
        else:
            cv2.imwrite(path, _frame(i))
    return root


def _txt_rows(path):
    lines = open(path).read().splitlines()
    assert lines[0] == 'frame,object,x,y,w,h,score'
    return [line.split(',') for line in lines[1:]]


def test_track_video_writes_all_outputs(inferencer, tmp_path):
    src = _folder(str(tmp_path / 'seq'), 7)
    calls = []
    summary = track_video(
        inferencer,
        src,
        [BOX],
        out_dir=str(tmp_path / 'out'),
        progress=lambda done, total, fps: calls.append((done, total, fps)))
    assert [c[:2] for c in calls] == [(i, 7) for i in range(1, 8)]
    assert calls[0][2] == 0.0 and all(c[2] > 0 for c in calls[1:])
    assert summary.frame_indices == list(range(7))
    assert summary.bboxes.shape == (7, 1, 4)
    np.testing.assert_allclose(summary.bboxes[0, 0], BOX)
    assert summary.model_fps > 0 and summary.fps > 0
    assert set(summary.outputs) == {'video', 'track', 'sheet'}
    rows = _txt_rows(summary.outputs['track'])
    assert [int(r[0]) for r in rows] == list(range(7))
    # txt columns are x,y,w,h of the returned xyxy boxes
    got = np.array([[float(v) for v in r[2:6]] for r in rows])
    ref = summary.bboxes[:, 0].copy()
    ref[:, 2:] -= ref[:, :2]
    np.testing.assert_allclose(got, ref, atol=0.006)
    assert len(FrameReader(summary.outputs['video'])) == 7
    # the sheet: 6 frames side by side (sheet_every = 7 // 6 = 1)
    assert cv2.imread(summary.outputs['sheet']).shape == (96, 6 * 128, 3)


@pytest.mark.parametrize('fault', ['corrupt', 'other_size'])
def test_bad_frame_stops_with_named_error_and_keeps_outputs(
        inferencer, tmp_path, fault):
    kw = dict(bad=4) if fault == 'corrupt' else dict(other_size=4)
    src = _folder(str(tmp_path / 'seq'), 8, **kw)
    out = str(tmp_path / 'out')
    with pytest.raises(FrameError) as info:
        track_video(inferencer, src, [BOX], out_dir=out)
    err = info.value
    bad_file = osp.join(src, '0004.jpg')
    assert err.index == 4 and err.path == bad_file
    assert str(err).startswith(f'frame 4 ({bad_file}): ')
    if fault == 'other_size':
        assert 'size 80x64, expected 128x96' in str(err)
    else:
        assert 'could not be decoded' in str(err)
    summary = err.summary
    assert summary.frame_indices == [0, 1, 2, 3]
    # every output holds the 4 good frames and is readable
    assert len(FrameReader(summary.outputs['video'])) == 4
    assert [int(r[0]) for r in _txt_rows(summary.outputs['track'])
            ] == [0, 1, 2, 3]
    assert cv2.imread(summary.outputs['sheet']).shape[0] == 96


def test_video_file_start_frame_and_max_frames(inferencer, tmp_path):
    video = str(tmp_path / 'clip.mp4')
    with Mp4Writer(video, fps=10) as w:
        for i in range(9):
            w.write(_frame(i) if i else np.zeros_like(_frame(0)))
    reader = FrameReader(video, start_frame=2, max_frames=4)
    assert len(reader) == 4
    summary = track_video(inferencer, reader, [BOX],
                          out_dir=str(tmp_path / 'o'))
    assert summary.frame_indices == [2, 3, 4, 5]
    rows = _txt_rows(summary.outputs['track'])
    assert rows[0] == ['2', '0', '20.00', '30.00', '30.00', '30.00', '1.0000']
    with pytest.raises(ValueError, match='start frame 20 is past the end'):
        list(FrameReader(video, start_frame=20))
    with pytest.raises(ValueError, match='start frame 20 is past the end'):
        FrameReader(_folder(str(tmp_path / 'f'), 3), start_frame=20)


@pytest.mark.parametrize('bad', [0, -5])
def test_max_frames_must_be_positive(bad, tmp_path):
    with pytest.raises(ValueError, match='positive number of frames'):
        FrameReader(_folder(str(tmp_path / 'f'), 2), max_frames=bad)


def test_one_frame_input(inferencer, tmp_path):
    summary = track_video(inferencer, _folder(str(tmp_path / 's'), 1),
                          [BOX], out_dir=str(tmp_path / 'o'))
    assert summary.num_frames == 1
    # no tracked frame: no rate and no presence score instead of 1e9 / nan
    assert summary.model_fps is None and summary.fps is None
    assert summary.mean_score is None
    assert len(FrameReader(summary.outputs['video'])) == 1


def test_nothing_tracked_leaves_no_files(inferencer, tmp_path):
    out = str(tmp_path / 'o')
    with pytest.raises(FrameError):
        track_video(inferencer, _folder(str(tmp_path / 's'), 3, bad=0),
                    [BOX], out_dir=out)
    assert os.listdir(out) == []


def test_iter_tracks_on_a_list(inferencer):
    steps = list(iter_tracks(inferencer, [_frame(0), _frame(1)], [BOX]))
    assert [s.index for s in steps] == [0, 1]
    assert steps[1].result.pred_track_instances.bboxes.shape == (1, 4)


def test_unwritable_out_dir(tmp_path, monkeypatch):
    target = str(tmp_path / 'locked')
    os.makedirs(target)
    # root ignores file modes: inject the refusal where the check asks
    monkeypatch.setattr(os, 'access', lambda p, mode: False)
    with pytest.raises(PermissionError, match=f'permission denied: {target}'):
        TrackOutputWriter(target, 'x')
    monkeypatch.undo()
    afile = str(tmp_path / 'a_file')
    open(afile, 'w').close()
    with pytest.raises(NotADirectoryError, match='not a folder'):
        ensure_writable_dir(afile)


def _demo(*args, timeout=300):
    return subprocess.run([sys.executable, DEMO, *args],
                          cwd=REPO_ROOT,
                          capture_output=True,
                          text=True,
                          timeout=timeout)


def test_demo_cli_errors_are_one_line(tmp_path):
    src = _folder(str(tmp_path / 'seq'), 5, bad=3)
    out = str(tmp_path / 'out')
    common = ['--config', TINY_TAO, '--checkpoint', 'none', '--out-dir', out]
    # a bad frame: one line naming it, non-zero exit, outputs kept
    proc = _demo('--video', src, '--bbox', '20,30,30,30', *common)
    assert proc.returncode == 2, proc.stderr[-2000:]
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and 'Traceback' not in proc.stderr
    assert f'frame 3 ({osp.join(src, "0003.jpg")})' in err[0]
    assert 'frames 0..2' in err[0]
    assert f'wrote {osp.join(out, "seq_track.txt")}' in proc.stdout
    assert len(_txt_rows(osp.join(out, 'seq_track.txt'))) == 3
    assert 'pkg_resources' not in proc.stderr
    # a missing video: one line, traceback only with --debug
    proc = _demo('--video', str(tmp_path / 'nope.mp4'), '--bbox', '1,1,5,5',
                 *common)
    assert proc.returncode == 2 and 'Traceback' not in proc.stderr
    assert 'video or frame folder not found' in proc.stderr
    proc = _demo('--video', str(tmp_path / 'nope.mp4'), '--bbox', '1,1,5,5',
                 '--debug', *common)
    assert proc.returncode != 0 and 'Traceback' in proc.stderr


@pytest.fixture(scope='module')
def demo_module():
    import importlib.util
    spec = importlib.util.spec_from_file_location('demo_track', DEMO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_arguments_echo_the_input(demo_module, capsys):
    with pytest.raises(SystemExit) as info:
        demo_module.parse_bbox('20,30,0,30')
    assert info.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: --bbox '20,30,0,30': the box has a non-positive size "
        '(w=0, h=30); expected x,y,w,h with w, h > 0'
    ]
    with pytest.raises(SystemExit):
        demo_module.parse_bbox('1,2,3')
    assert "--bbox '1,2,3': expected four numbers x,y,w,h" \
        in capsys.readouterr().err
    assert demo_module.parse_bbox('-20,5,40,30') == [-20, 5, 20, 35]
    # negative values need no --bbox= form
    args = demo_module.parse_args(
        ['--bbox', '-20,5,40,30', '--bbox', '1,2,3,4', '--max-frames', '3'])
    assert args.bbox == ['-20,5,40,30', '1,2,3,4'] and args.max_frames == 3
    for bad in ('0', '-5', 'x'):
        with pytest.raises(SystemExit) as info:
            demo_module.parse_args(['--max-frames', bad])
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert f"'{bad}': expected a positive number of frames" in err
    with pytest.raises(SystemExit):
        demo_module.parse_args(['--start-frame', '-1'])
    assert "'-1': expected a frame index >= 0" in capsys.readouterr().err
    # every option says what it is for
    with pytest.raises(SystemExit):
        demo_module.parse_args(['--help'])
    help_text = capsys.readouterr().out
    for opt in ('--config', '--max-frames', '--device', '--start-frame'):
        block = help_text.split(opt, 2)[-1].split('\n  --')[0]
        assert len(block.split()) > 3, (opt, block)


def test_demo_cli_negative_bbox_and_start_frame(tmp_path):
    src = _folder(str(tmp_path / 'seq'), 4)
    out = str(tmp_path / 'out')
    # a box partly left of the image, typed the natural way (no need for
    # the --bbox= form)
    proc = _demo('--video', src, '--bbox', '-5,30,40,30', '--start-frame',
                 '1', '--config', TINY_TAO, '--checkpoint', 'none',
                 '--out-dir', out)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = _txt_rows(osp.join(out, 'seq_track.txt'))
    assert [int(r[0]) for r in rows] == [1, 2, 3]
    assert rows[0][2:6] == ['-5.00', '30.00', '40.00', '30.00']
    assert 'frames: 3' in proc.stdout
