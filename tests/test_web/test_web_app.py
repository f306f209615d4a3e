# Copyright (c) mmtao contributors. All rights reserved.
"""Server side of the browser demo, through FastAPI's test client."""
import json
import os
import os.path as osp

import numpy as np
import pytest

pytest.importorskip('fastapi', reason='the web extra is not installed '
                    '(make web, or pip install -r requirements/web.txt)')
pytest.importorskip('httpx', reason="FastAPI's TestClient needs httpx")

from fastapi.testclient import TestClient  # noqa: E402

from mmtao.apis.web import ModelChoice, TrackingService, create_app  # noqa
from mmtao.apis.web.jobs import InputError, check_boxes  # noqa: E402
from mmtao.utils.video_io import Mp4Writer  # noqa: E402

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO_VIDEO = osp.join(REPO_ROOT, 'demo', 'synthetic_demo.mp4')
CONFIG = osp.join(REPO_ROOT, 'configs', 'tao', 'tao_mbv2-fpn_320_synthetic.py')
CHECKPOINT = osp.join(REPO_ROOT, 'checkpoints',
                      'tao_mbv2-fpn_320_synthetic_fp16.pth')
BASE = 'http://127.0.0.1'


def _make_service(out_dir, max_frames=4):
    return TrackingService([ModelChoice('cpu', CONFIG, CHECKPOINT)],
                           str(out_dir),
                           default_video=DEMO_VIDEO,
                           max_frames=max_frames)


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    """One app (and one loaded model) for the module; small upload limit."""
    out = tmp_path_factory.mktemp('web') / 'out'
    service = _make_service(out)
    app = create_app(service, max_upload_bytes=200_000)
    with TestClient(app, base_url=BASE) as client:
        yield client, service
    service.shutdown()


def _tiny_video(path, n=6, w=96, h=64):
    """A clip with a bright square moving right by 2 px a frame."""
    rng = np.random.default_rng(0)
    with Mp4Writer(str(path), fps=10) as writer:
        for i in range(n):
            img = rng.integers(0, 40, (h, w, 3), dtype=np.uint8)
            img[20:40, 10 + 2 * i:30 + 2 * i] = (40, 200, 240)
            writer.write(img)
    return path


def _alive(client):
    res = client.get('/api/info')
    assert res.status_code == 200
    return res.json()


def _run_job(client, payload):
    res = client.post('/api/track', json=payload)
    assert res.status_code == 200, res.text
    job = res.json()
    events = []
    with client.stream('GET', f'/api/jobs/{job["job_id"]}/events') as r:
        assert r.headers['content-type'].startswith('text/event-stream')
        for line in r.iter_lines():
            if line.startswith('data: '):
                events.append(json.loads(line[len('data: '):]))
    return events


def test_page_and_info(server):
    client, _ = server
    page = client.get('/')
    assert page.status_code == 200
    assert '<canvas id="frame"' in page.text
    assert client.get('/static/app.js').status_code == 200
    info = _alive(client)
    assert info['models'] == ['cpu'] and info['default_model'] == 'cpu'
    import imageio.v3 as iio
    frames = iio.imread(DEMO_VIDEO)
    assert info['default_video']['num_frames'] == len(frames)
    assert (info['default_video']['height'],
            info['default_video']['width']) == frames.shape[1:3]
    # the page's colours are the ones the result video draws object k in
    # (the shared palette; branch web has the full version of this test)
    from mmtao.visualization import object_colors
    assert info['colors'][:3] == [list(c) for c in object_colors(3)]


def test_frame_is_the_videos_frame(server):
    client, _ = server
    import cv2
    import imageio.v3 as iio
    res = client.get('/api/videos/default/frames/37')
    assert res.status_code == 200
    assert res.headers['content-type'] == 'image/jpeg'
    got = cv2.imdecode(np.frombuffer(res.content, np.uint8), cv2.IMREAD_COLOR)
    ref = iio.imread(DEMO_VIDEO)[37][..., ::-1]  # RGB -> BGR
    assert got.shape == ref.shape
    other = iio.imread(DEMO_VIDEO)[80][..., ::-1]
    err = np.abs(got.astype(int) - ref).mean()
    assert err < 3  # JPEG quality 92
    assert err < np.abs(got.astype(int) - other).mean() / 3
    res = client.get('/api/videos/default/frames/120')
    assert res.status_code == 400 and 'outside 0..119' in res.json()['detail']


def test_upload_video_then_frames(server, tmp_path):
    client, service = server
    data = _tiny_video(tmp_path / 'clip.mp4').read_bytes()
    res = client.post('/api/videos?filename=clip.mp4', content=data)
    assert res.status_code == 200, res.text
    video = res.json()
    assert (video['num_frames'], video['width'], video['height']) == \
        (6, 96, 64)
    assert video['name'] == 'clip.mp4'
    frame = client.get(f'/api/videos/{video["video_id"]}/frames/5')
    assert frame.status_code == 200
    assert service.videos[video['video_id']].path.startswith(
        service.upload_dir)


@pytest.mark.parametrize('data,name,expected', [
    (b'frame,object\n1,2\n', 'notes.txt', 'not a video'),
    (b'\x00\x00\x00\x18ftypmp42' + bytes(500), 'broken.mp4', 'not a video'),
    (b'', 'empty.mp4', 'is empty'),
])
def test_upload_not_a_video(server, data, name, expected):
    client, service = server
    before = set(os.listdir(service.upload_dir))
    res = client.post(f'/api/videos?filename={name}', content=data)
    assert res.status_code == 400
    detail = res.json()['detail']
    assert expected in detail and name in detail
    assert '\n' not in detail
    # the refused file is not kept, and the server goes on
    assert set(os.listdir(service.upload_dir)) == before
    _alive(client)


def test_upload_single_image_is_refused(server, tmp_path):
    client, _ = server
    import cv2
    ok, buf = cv2.imencode('.png', np.zeros((20, 30, 3), np.uint8))
    res = client.post('/api/videos?filename=still.png', content=buf.tobytes())
    assert res.status_code == 400
    assert 'at least 2' in res.json()['detail']


def test_upload_size_limit(server):
    client, service = server
    before = set(os.listdir(service.upload_dir))
    big = bytes(200_001)
    # with a Content-Length header: refused before reading the body
    res = client.post('/api/videos?filename=big.mp4', content=big)
    assert res.status_code == 413
    assert 'upload limit' in res.json()['detail']

    # chunked (no length given): refused once the limit is passed
    def chunks():
        for _ in range(30):
            yield bytes(10_000)

    res = client.post('/api/videos?filename=big.mp4', content=chunks())
    assert res.status_code == 413
    assert set(os.listdir(service.upload_dir)) == before
    _alive(client)


@pytest.mark.parametrize('payload,status,expected', [
    (dict(boxes=[]), 400, 'no box'),
    (dict(boxes=[[10, 10, 0, 30]]), 400, 'box 1 is empty'),
    (dict(boxes=[[50, 50, 20, 20], [10, 10, 40, 0.5]]), 400,
     'box 2 is empty'),
    (dict(boxes=[[400, 10, 20, 20]]), 400, 'outside the 320x240 frame'),
    (dict(boxes=[[300, 200, 40, 20]]), 400, 'outside the 320x240 frame'),
    (dict(boxes=[[-5, 10, 20, 20]]), 400, 'outside'),
    (dict(boxes=[[1, 2, 3]]), 400, 'expected four numbers'),
    (dict(boxes=[[10, 10, 20, 20]] * 9), 400, 'at most 8'),
    (dict(boxes=[[10, 10, 20, 20]], start_frame=119), 400, 'start frame'),
    (dict(boxes=[[10, 10, 20, 20]], start_frame=-1), 400, 'start frame'),
    (dict(boxes=[[10, 10, 20, 20]], model='r50'), 400, "unknown model 'r50'"),
    (dict(boxes=[[10, 10, 20, 20]], video_id='../etc'), 400,
     'unknown video'),
    (dict(boxes='10,10,20,20'), 422, 'boxes'),
    (dict(boxes=[['a', 1, 2, 3]]), 422, 'boxes'),
])
def test_track_refuses_bad_input(server, payload, status, expected):
    client, service = server
    body = dict(video_id='default', start_frame=0)
    body.update(payload)
    res = client.post('/api/track', json=body)
    assert res.status_code == status, res.text
    detail = res.json()['detail']
    assert isinstance(detail, str) and expected in detail, detail
    assert not service._busy  # nothing was queued
    _alive(client)


def test_check_boxes_boundaries():
    # a box exactly filling the frame is inside; half a pixel of rounding
    # is forgiven, one pixel is not
    assert check_boxes([[0, 0, 320, 240]], 320, 240, 8) == [[0, 0, 320, 240]]
    check_boxes([[-0.5, 0, 320.5, 240]], 320, 240, 8)
    with pytest.raises(InputError, match='outside'):
        check_boxes([[-1, 0, 100, 100]], 320, 240, 8)
    with pytest.raises(InputError, match='outside'):
        check_boxes([[0, 0, 100, 241]], 320, 240, 8)
    with pytest.raises(InputError, match='not finite'):
        check_boxes([[0, 0, float('nan'), 10]], 320, 240, 8)


def test_files_only_from_the_jobs_folder(server):
    client, service = server
    out_dir = service.out_dir
    secret = osp.join(osp.dirname(out_dir), 'secret.txt')
    with open(secret, 'w') as f:
        f.write('SECRET')
    with open(osp.join(service.upload_dir, 'upload.txt'), 'w') as f:
        f.write('SECRET')
    os.makedirs(osp.join(service.jobs_dir, 'j'), exist_ok=True)
    with open(osp.join(service.jobs_dir, 'j', 'ok.txt'), 'w') as f:
        f.write('fine')
    link = osp.join(service.jobs_dir, 'j', 'link.txt')
    if not osp.lexists(link):
        os.symlink(secret, link)
    assert client.get('/files/j/ok.txt').text == 'fine'
    # control: an encoded '..' does reach the file lookup (and is fine
    # while it stays inside the folder)
    assert client.get('/files/j/..%2Fj%2Fok.txt').text == 'fine'
    for url in [
            '/files/%2e%2e/uploads/upload.txt',
            '/files/..%2fuploads%2fupload.txt',
            '/files/j/..%2F..%2F..%2Fsecret.txt',
            '/files/%2e%2e/%2e%2e/secret.txt',
            '/files/%2Fetc%2Fpasswd',
            '/files/j/link.txt',  # a symlink out of the folder
            '/files/j',  # folders are not listed
    ]:
        res = client.get(url)
        assert res.status_code == 404, url
        assert 'SECRET' not in res.text and 'root:' not in res.text
    _alive(client)


def test_other_hosts_are_refused(server):
    client, _ = server
    res = client.get('/api/info', headers={'Host': 'attacker.example'})
    assert res.status_code == 400
    assert client.get('/api/info', headers={
        'Host': 'localhost:8000'
    }).status_code == 200


def test_track_job_writes_and_serves_results(server):
    """A real job on the embedded clip: progress events, the track file's
    first row is the given box, an H.264 mp4 the browser can seek in."""
    client, service = server
    events = _run_job(
        client,
        dict(video_id='default', start_frame=10,
             boxes=[[131, 80, 49, 64], [20, 30, 40, 50]]))
    last = events[-1]
    assert last['state'] == 'done', last
    assert last['done'] == last['total'] == 4  # max_frames
    assert any(e['state'] == 'running' for e in events)
    done = [e['done'] for e in events]
    assert done == sorted(done)
    assert set(last['files']) == {'video', 'track', 'sheet'}

    track = client.get(last['files']['track'])
    assert track.status_code == 200
    lines = track.text.strip().splitlines()
    assert lines[0] == 'frame,object,x,y,w,h,score'
    assert len(lines) == 1 + 4 * 2
    first = [float(v) for v in lines[1].split(',')]
    assert first[:6] == [10, 0, 131, 80, 49, 64]
    assert [float(v) for v in lines[2].split(',')][:6] == \
        [10, 1, 20, 30, 40, 50]
    assert [int(r.split(',')[0]) for r in lines[1:]] == \
        [10, 10, 11, 11, 12, 12, 13, 13]

    video = client.get(last['files']['video'])
    assert video.status_code == 200
    path = osp.join(service.jobs_dir, last['job_id'],
                    osp.basename(last['files']['video']))
    import imageio.v3 as iio
    assert iio.immeta(path)['codec'] == 'h264'
    assert len(iio.imread(path)) == 4
    part = client.get(last['files']['video'], headers={'Range': 'bytes=0-9'})
    assert part.status_code == 206 and len(part.content) == 10


def test_job_does_not_depend_on_the_current_default_scope(server):
    """Another library's scope being current (as mmdet's after its
    register_all_modules) must not break a job."""
    client, _ = server
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmdet'):
        events = _run_job(
            client, dict(video_id='default', boxes=[[132, 68, 48, 64]]))
    assert events[-1]['state'] == 'done', events[-1]['message']


def test_one_job_at_a_time_and_errors_keep_the_server(server, tmp_path):
    client, service = server
    # a job whose video disappears fails with a message on the page ...
    data = _tiny_video(tmp_path / 'gone.mp4').read_bytes()
    video = client.post(
        '/api/videos?filename=gone.mp4', content=data).json()
    os.remove(service.videos[video['video_id']].path)
    events = _run_job(
        client,
        dict(video_id=video['video_id'], boxes=[[10, 20, 20, 20]]))
    assert events[-1]['state'] == 'error'
    assert 'not found' in events[-1]['message']
    # ... and the next job runs; a second one while it runs is refused
    ok = client.post('/api/track', json=dict(
        video_id='default', boxes=[[132, 68, 48, 64]]))
    assert ok.status_code == 200
    busy = client.post('/api/track', json=dict(
        video_id='default', boxes=[[132, 68, 48, 64]]))
    assert busy.status_code == 409
    assert 'running' in busy.json()['detail']
    job_id = ok.json()['job_id']
    with client.stream('GET', f'/api/jobs/{job_id}/events') as r:
        for _ in r.iter_lines():
            pass
    assert client.get(f'/api/jobs/{job_id}').json()['state'] == 'done'
    assert client.get('/api/jobs/nope').status_code == 400
