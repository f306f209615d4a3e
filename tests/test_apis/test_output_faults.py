# Copyright (c) mmtao contributors. All rights reserved.
"""Output faults of the video loop: a full disk, two runs writing the same
names, and input faults of FrameReader (unpadded names, named pipes, any
ffmpeg-readable extension)."""
import os
import os.path as osp
import subprocess

import cv2
import numpy as np
import pytest

from tiny_video import moving_box_frame as _frame
from tiny_video import tiny_inferencer
from mmtao.apis import TrackOutputWriter, track_video
from mmtao.utils.run_lock import OutputInUseError
from mmtao.utils.video_io import FrameReader, Mp4Writer, OutputError

BOX = [20., 30., 50., 60.]


@pytest.fixture(scope='module')
def inferencer():
    return tiny_inferencer()


def _folder(root, n, name='{:04d}.jpg'):
    os.makedirs(root, exist_ok=True)
    for i in range(n):
        cv2.imwrite(osp.join(root, name.format(i)), _frame(i))
    return root


def _complete_rows(path):
    lines = open(path).read().split('\n')
    assert lines[0] == 'frame,object,x,y,w,h,score' and lines[-1] == ''
    rows = [line.split(',') for line in lines[1:-1]]
    assert all(len(r) == 7 for r in rows)
    return rows


@pytest.mark.skipif(not osp.exists('/dev/full'), reason='needs /dev/full')
def test_mp4_on_a_full_disk_is_an_error_naming_it(inferencer, tmp_path):
    """ffmpeg's exit status is checked: the video written to /dev/full
    (every write fails with ENOSPC) raises, names the file, removes it;
    the txt and the PNG, written elsewhere, stay complete."""
    src = _folder(str(tmp_path / 'seq'), 6)
    out = str(tmp_path / 'out')
    os.makedirs(out)
    video = osp.join(out, 'seq_tracked.mp4')
    os.symlink('/dev/full', video)
    with pytest.raises(OutputError) as info:
        track_video(inferencer, src, [BOX], out_dir=out)
    msg = str(info.value)
    assert msg.startswith(f'could not write {video}: no space left on '
                          'device (ffmpeg exit status ')
    assert info.value.errno == 28 and '\n' not in msg
    # the run stops at the first failed write; the files hold its frames
    summary = info.value.summary
    assert 1 <= summary.num_frames <= 6
    assert set(summary.outputs) == {'track', 'sheet'}
    assert len(_complete_rows(
        summary.outputs['track'])) == summary.num_frames
    assert cv2.imread(summary.outputs['sheet']) is not None
    assert not osp.lexists(video)


def _mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    proc = subprocess.run(['mount', '-t', 'tmpfs', '-o', f'size={size}',
                           'tmpfs', path], capture_output=True)
    return proc.returncode == 0


def test_full_tmpfs_keeps_what_is_valid(inferencer, tmp_path):
    """A real full disk (a 64 KiB tmpfs, root only): an error naming the
    file; the txt holds complete lines only, the PNG (if any) decodes, no
    unplayable mp4 is left."""
    mnt = str(tmp_path / 'tiny')
    if not _mount_tmpfs(mnt, '64k'):
        pytest.skip('cannot mount a tmpfs (needs root)')
    try:
        # noise compresses badly: the contact sheet alone outgrows 64 KiB
        src = str(tmp_path / 'seq')
        os.makedirs(src)
        rng = np.random.default_rng(0)
        for i in range(20):
            cv2.imwrite(osp.join(src, f'{i:04d}.png'),
                        rng.integers(0, 255, (96, 128, 3), dtype=np.uint8))
        with pytest.raises(OutputError, match='no space left on device'):
            track_video(inferencer, src, [BOX], out_dir=mnt)
        for name in os.listdir(mnt):
            path = osp.join(mnt, name)
            if name.endswith('.txt'):
                _complete_rows(path)
            elif name.endswith('.png'):
                assert cv2.imread(path) is not None
            elif name.endswith('.mp4'):
                assert len(FrameReader(path)) > 0
            else:
                assert False, f'unexpected file {name}'
    finally:
        subprocess.run(['umount', mnt])


def test_second_writer_of_the_same_names_is_refused(tmp_path):
    out = str(tmp_path / 'out')
    first = TrackOutputWriter(out, 'clip')
    with pytest.raises(OutputInUseError,
                       match=r'clip_track\* is being written by another run'):
        TrackOutputWriter(out, 'clip')
    other = TrackOutputWriter(out, 'other')  # other names are fine
    other.close()
    assert open(first.paths['track']).read() == 'frame,object,x,y,w,h,score\n'
    first.close()
    TrackOutputWriter(out, 'clip').close()  # free after close
    assert not [f for f in os.listdir(out) if f.endswith('.lock')]


def test_unpadded_frame_names_in_natural_order(tmp_path):
    src = _folder(str(tmp_path / 'seq'), 12, 'frame{}.jpg')
    names = [osp.basename(p) for p in FrameReader(src).frame_paths]
    assert names == [f'frame{i}.jpg' for i in range(12)]
    assert sorted(names) != names  # the premise: plain sort is wrong


def test_named_pipe_is_refused_at_once(tmp_path):
    fifo = str(tmp_path / 'pipe.mp4')
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match=r'is a named pipe \(FIFO\), not a '
                       'video file or a folder of frames'):
        FrameReader(fifo)


@pytest.mark.parametrize('ext', ['.mts', '.m4v', '.3gp', '.ts'])
def test_any_extension_ffmpeg_reads(tmp_path, ext):
    ref = str(tmp_path / 'ref.mp4')
    with Mp4Writer(ref, fps=10) as w:
        for i in range(5):
            w.write(_frame(i))
    other = str(tmp_path / f'clip{ext}')
    os.link(ref, other)
    frames = list(FrameReader(other))
    assert len(frames) == 5 and FrameReader(other).frame_size() == (128, 96)
    for a, b in zip(frames, FrameReader(ref)):
        np.testing.assert_array_equal(a, b)
    assert frames[0].flags.writeable
