# Copyright (c) mmtao contributors. All rights reserved.
"""Server side of the browser demo, through FastAPI's test client."""
import json
import os
import os.path as osp
import time

import numpy as np
import pytest

pytest.importorskip('fastapi', reason='the web extra is not installed '
                    '(make web, or pip install -r requirements/web.txt)')
pytest.importorskip('httpx', reason="FastAPI's TestClient needs httpx")

from fastapi.testclient import TestClient  # noqa: E402

from mmtao.apis.web import ModelChoice, TrackingService, create_app  # noqa
from mmtao.apis.web.videos import (InputError, check_boxes,  # noqa: E402
                                   public_message, sniff_extension)
from web_helpers import (CHECKPOINT, CONFIG, DEMO_VIDEO, FACE_XYWH,  # noqa
                       tiny_video)

BASE = 'http://127.0.0.1'
PAGE = {'X-Requested-With': 'mmtao'}  # what the page sends with every POST


def _make_service(out_dir, max_frames=4, **kwargs):
    return TrackingService([ModelChoice('cpu', CONFIG, CHECKPOINT)],
                           str(out_dir),
                           default_video=DEMO_VIDEO,
                           max_frames=max_frames,
                           **kwargs)


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    """One app (and one loaded model) for the module; small upload limit."""
    out = tmp_path_factory.mktemp('web') / 'out'
    service = _make_service(out)
    app = create_app(service, max_upload_bytes=200_000)
    with TestClient(app, base_url=BASE) as client:
        yield client, service
    service.shutdown()


def _upload(client, name, data, **headers):
    return client.post(
        '/api/videos', params=dict(filename=name), content=data,
        headers={**PAGE, 'Content-Type': 'application/octet-stream',
                 **headers})


def _post(client, url, body, **headers):
    return client.post(url, json=body, headers={**PAGE, **headers})


def _alive(client):
    res = client.get('/api/info')
    assert res.status_code == 200
    return res.json()


def _wait(client, job_id):
    with client.stream('GET', f'/api/jobs/{job_id}/events') as r:
        assert r.headers['content-type'].startswith('text/event-stream')
        events = [json.loads(line[len('data: '):]) for line in r.iter_lines()
                  if line.startswith('data: ')]
    return events


def _run_job(client, payload, url='/api/track'):
    res = _post(client, url, payload)
    assert res.status_code == 200, res.text
    return _wait(client, res.json()['job_id'])


def _job_file(service, snap, key):
    return osp.join(service.jobs_dir, snap['job_id'],
                    osp.basename(snap['files'][key]))


def _track_rows(client, snap):
    lines = client.get(snap['files']['track']).text.strip().splitlines()
    assert lines[0] == 'frame,object,x,y,w,h,score'
    return [[float(v) for v in line.split(',')] for line in lines[1:]]


# ---- page, headers, palette ---------------------------------------------
def test_page_info_and_security_headers(server):
    client, _ = server
    page = client.get('/')
    assert page.status_code == 200 and '<canvas id="frame"' in page.text
    for res in (page, client.get('/api/info'), client.get('/static/app.js')):
        assert res.headers['x-frame-options'] == 'DENY'
        assert res.headers['x-content-type-options'] == 'nosniff'
        csp = res.headers['content-security-policy']
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    for url in ('/openapi.json', '/docs', '/redoc'):
        assert client.get(url).status_code == 404, url
    assert client.get('/favicon.ico').status_code == 200
    info = _alive(client)
    assert [m['name'] for m in info['models']] == ['cpu']
    import imageio.v3 as iio
    frames = iio.imread(DEMO_VIDEO)
    assert info['default_video']['num_frames'] == len(frames)
    assert (info['default_video']['height'],
            info['default_video']['width']) == frames.shape[1:3]


def test_palette_objects_are_distinct(server):
    """The page's colours are the result video's, and a qualitative set:
    objects 0 and 1 far apart, no two of the 8 close (CIEDE2000)."""
    client, _ = server
    from matplotlib import colormaps
    from skimage.color import deltaE_ciede2000, rgb2lab

    from mmtao.visualization import track_colors
    colors = _alive(client)['colors']
    assert len(colors) == 8
    assert colors == [list(bgr[::-1]) for bgr in track_colors(8)]
    tab10 = {tuple(round(255 * v) for v in c)
             for c in colormaps['tab10'].colors}
    assert {tuple(c) for c in colors} <= tab10
    lab = rgb2lab(np.array(colors, np.float64)[None] / 255)[0]
    assert deltaE_ciede2000(lab[0], lab[1]) > 40
    gaps = [deltaE_ciede2000(lab[i], lab[j]) for i in range(8)
            for j in range(i + 1, 8)]
    assert min(gaps) > 15


def test_frame_is_the_videos_frame(server):
    client, _ = server
    import cv2
    import imageio.v3 as iio
    res = client.get('/api/videos/default/frames/37')
    assert res.status_code == 200
    assert res.headers['content-type'] == 'image/jpeg'
    got = cv2.imdecode(np.frombuffer(res.content, np.uint8), cv2.IMREAD_COLOR)
    ref = iio.imread(DEMO_VIDEO)[37][..., ::-1]  # RGB -> BGR
    other = iio.imread(DEMO_VIDEO)[80][..., ::-1]
    err = np.abs(got.astype(int) - ref).mean()
    assert err < 3  # JPEG quality 92
    assert err < np.abs(got.astype(int) - other).mean() / 3
    res = client.get('/api/videos/default/frames/120')
    assert res.status_code == 400 and 'outside 0..119' in res.json()['detail']


# ---- cross-site requests and bounds -------------------------------------
@pytest.mark.parametrize('headers,why', [
    ({'Origin': 'http://127.0.0.1:8799'}, 'another origin'),
    ({'Origin': 'null'}, 'another origin'),
    ({'Sec-Fetch-Site': 'cross-site'}, 'cross-site'),
    ({'Sec-Fetch-Site': 'same-site'}, 'same-site'),  # another port
    ({'Content-Type': 'text/plain'}, 'content type'),
    ({'Content-Type': ''}, 'content type'),  # a typeless Blob
    ({'Content-Type': 'multipart/form-data; boundary=x'}, 'content type'),
    ({'X-Requested-With': ''}, 'X-Requested-With'),
])
def test_cross_site_requests_are_refused(server, tmp_path, headers, why):
    """What a page on another origin can send without a preflight (or
    with one the server never answers) changes nothing."""
    client, service = server
    data = tiny_video(tmp_path / 'clip.mp4').read_bytes()
    uploads = set(os.listdir(service.upload_dir))
    jobs = set(os.listdir(service.jobs_dir))
    res = _upload(client, 'clip.mp4', data, **headers)
    assert res.status_code == 403 and why.lower() in \
        res.json()['detail'].lower(), res.text
    res = _post(client, '/api/track',
                dict(video_id='default', boxes=[list(FACE_XYWH)]), **headers)
    assert res.status_code == 403, res.text
    assert set(os.listdir(service.upload_dir)) == uploads
    assert set(os.listdir(service.jobs_dir)) == jobs
    assert service.current is None
    # the page's own requests (same origin) pass
    res = _upload(client, 'clip.mp4', data, Origin=BASE,
                  **{'Sec-Fetch-Site': 'same-origin'})
    assert res.status_code == 200, res.text


def test_request_bodies_are_bounded(server):
    client, service = server
    body = json.dumps(dict(video_id='default', boxes=[[1, 2, 3, 4]] * 9000))
    assert len(body) > 64 * 1024
    t0 = time.time()
    res = client.post('/api/track', content=body,
                      headers={**PAGE, 'Content-Type': 'application/json'})
    assert res.status_code == 413 and 'KiB' in res.json()['detail']

    def chunks():  # no Content-Length: refused once past the limit
        for _ in range(100):
            yield b' ' * 10_000

    res = client.post('/api/track', content=chunks(),
                      headers={**PAGE, 'Content-Type': 'application/json'})
    assert res.status_code == 413
    assert time.time() - t0 < 10
    assert service.current is None
    res = client.post('/api/track', content=b'{"video_id": ',
                      headers={**PAGE, 'Content-Type': 'application/json'})
    assert res.status_code == 422
    assert res.json()['detail'] == 'the request body is not valid JSON'


def test_upload_size_limit(server):
    client, service = server
    before = set(os.listdir(service.upload_dir))
    res = _upload(client, 'big.mp4', bytes(200_001))
    assert res.status_code == 413 and 'upload limit' in res.json()['detail']

    def chunks():
        for _ in range(30):
            yield bytes(10_000)

    res = _upload(client, 'big.mp4', chunks())
    assert res.status_code == 413
    assert set(os.listdir(service.upload_dir)) == before
    _alive(client)


def test_aborted_upload_is_quiet_and_removed(server):
    """A client that disconnects mid-upload: no exception escapes the app
    (uvicorn would print its traceback) and the partial file is gone."""
    import asyncio
    client, service = server
    app = client.app
    before = set(os.listdir(service.upload_dir))
    messages = iter([
        {'type': 'http.request', 'body': b'\x00' * 5000, 'more_body': True},
        {'type': 'http.disconnect'},
    ])
    sent = []

    async def receive():
        return next(messages)

    async def send(message):
        sent.append(message)

    scope = dict(type='http', asgi={'version': '3.0'}, http_version='1.1',
                 method='POST', scheme='http', path='/api/videos',
                 raw_path=b'/api/videos', root_path='',
                 query_string=b'filename=x.mp4', server=('127.0.0.1', 80),
                 client=('127.0.0.1', 5000),
                 headers=[(b'host', b'127.0.0.1'),
                          (b'x-requested-with', b'mmtao'),
                          (b'content-type', b'application/octet-stream')])
    asyncio.run(app(scope, receive, send))  # raises if the error escapes
    assert set(os.listdir(service.upload_dir)) == before


# ---- uploads ------------------------------------------------------------
def test_upload_video_then_frames(server, tmp_path):
    client, service = server
    data = tiny_video(tmp_path / 'clip.mp4').read_bytes()
    res = _upload(client, 'clip.mp4', data)
    assert res.status_code == 200, res.text
    video = res.json()
    assert (video['num_frames'], video['width'], video['height']) == \
        (6, 96, 64)
    assert video['name'] == 'clip.mp4'
    frame = client.get(f'/api/videos/{video["video_id"]}/frames/5')
    assert frame.status_code == 200
    assert service.videos[video['video_id']].path.startswith(
        service.upload_dir)


@pytest.mark.parametrize('name', ['clip', 'box.txt', 'CLIP.MOV', 'x.'])
def test_upload_valid_mp4_under_any_name(server, tmp_path, name):
    """The container is sniffed: a valid mp4 without (or with a wrong)
    extension is a video."""
    client, _ = server
    data = tiny_video(tmp_path / 'clip.mp4').read_bytes()
    res = _upload(client, name, data)
    assert res.status_code == 200, res.text
    assert res.json()['num_frames'] == 6 and res.json()['name'] == name


def test_sniff_extension():
    assert sniff_extension(b'\x00\x00\x00\x18ftypisom', 'a') == '.mp4'
    assert sniff_extension(b'RIFF\x00\x00\x00\x00AVI LIST', 'a.mp4') == '.avi'
    assert sniff_extension(b'\x1a\x45\xdf\xa3\x00', 'a.txt') == '.mkv'
    assert sniff_extension(b'garbage-garbage', 'a.webm') == '.webm'
    assert sniff_extension(b'garbage-garbage', 'a.txt') == '.mp4'


@pytest.mark.parametrize('data,name,expected', [
    (b'frame,object\n1,2\n', 'notes.txt', 'not a video'),
    (b'\x00\x00\x00\x18ftypmp42' + bytes(500), 'broken.mp4', 'not a video'),
    (b'', 'empty.mp4', 'is empty'),
])
def test_upload_not_a_video(server, data, name, expected):
    client, service = server
    before = set(os.listdir(service.upload_dir))
    res = _upload(client, name, data)
    assert res.status_code == 400
    detail = res.json()['detail']
    assert expected in detail and name in detail
    assert '\n' not in detail
    # no server path in the message
    assert service.out_dir not in detail and '/uploads/' not in detail
    assert set(os.listdir(service.upload_dir)) == before
    _alive(client)


def test_public_message_strips_paths():
    msg = public_message("cannot read '/srv/x/outputs/web/uploads/ab.mp4': "
                         'OSError: /usr/lib/ffmpeg failed\nmore')
    assert '/srv' not in msg and '/usr/lib' not in msg
    assert 'ab.mp4' in msg and 'more' not in msg
    assert public_message('in /a/b/c.mp4', {'/a/b/c.mp4': 'my clip'}) == \
        'in my clip'


def test_upload_single_image_is_refused(server):
    client, _ = server
    import cv2
    ok, buf = cv2.imencode('.png', np.zeros((20, 30, 3), np.uint8))
    res = _upload(client, 'still.png', buf.tobytes())
    assert res.status_code == 400 and 'at least 2' in res.json()['detail']


def test_frame_size_is_bounded(server, tmp_path):
    """Frames above --max-megapixels are refused before decoding, with
    the size, the limit and what to do."""
    client, service = server
    data = tiny_video(tmp_path / 'clip.mp4', w=128, h=96).read_bytes()
    before = set(os.listdir(service.upload_dir))
    limit = service.max_pixels
    service.max_pixels = 128 * 96 - 1
    try:
        res = _upload(client, 'wide.mp4', data)
    finally:
        service.max_pixels = limit
    assert res.status_code == 400
    detail = res.json()['detail']
    assert '128x96' in detail and 'megapixels' in detail
    assert set(os.listdir(service.upload_dir)) == before


def test_uploads_survive_a_restart_and_old_files_are_cleaned(tmp_path):
    """A new server finds the earlier uploads (the page's video ids stay
    valid) and deletes uploads and results past the age bound."""
    out = tmp_path / 'out'
    service = _make_service(out)
    path = service.new_upload_path()
    tiny_video(tmp_path / 'c.mp4')
    os.replace(tmp_path / 'c.mp4', path)
    video = service.add_upload(path, 'my clip.mp4')
    old = service.new_upload_path()
    tiny_video(tmp_path / 'd.mp4')
    os.replace(tmp_path / 'd.mp4', old)
    old_video = service.add_upload(old, 'old.mp4')
    os.makedirs(osp.join(service.jobs_dir, 'oldjob'))
    with open(osp.join(service.jobs_dir, 'oldjob', 'x_track.txt'), 'w') as f:
        f.write('x')
    long_ago = time.time() - 3 * 86400
    for f in os.listdir(service.upload_dir):
        if f.startswith(old_video.video_id):
            os.utime(osp.join(service.upload_dir, f), (long_ago, long_ago))
    for p in (osp.join(service.jobs_dir, 'oldjob'),
              osp.join(service.jobs_dir, 'oldjob', 'x_track.txt')):
        os.utime(p, (long_ago, long_ago))
    with open(service.new_upload_path(), 'wb') as f:  # cut by a crash
        f.write(b'partial')
    service.shutdown()

    again = _make_service(out, keep_hours=24)
    assert os.listdir(again.jobs_dir) == []
    assert sorted(os.listdir(again.upload_dir)) == [
        video.video_id + '.json', video.video_id + '.mp4']
    found = again.get_video(video.video_id)
    assert (found.name, found.num_frames) == ('my clip.mp4', 6)
    with pytest.raises(InputError, match='unknown video'):
        again.get_video(old_video.video_id)
    again.shutdown()


def test_cleanup_by_total_size(tmp_path):
    from mmtao.apis.web import storage
    out = tmp_path / 'out'
    for i, size in enumerate([300, 300, 300]):
        d = out / 'jobs' / f'job{i}'
        d.mkdir(parents=True)
        (d / 'a.bin').write_bytes(bytes(size))
        for p in (d, d / 'a.bin'):
            os.utime(p, (1000 + i, 1000 + i))
    (out / 'uploads').mkdir()
    deleted = storage.cleanup(str(out), None, 650, keep=['jobs/job0'],
                              now=2000)
    # the oldest not in use goes first, until the total fits
    assert deleted == ['jobs/job1']
    assert sorted(os.listdir(out / 'jobs')) == ['job0', 'job2']


# ---- tracking requests ----------------------------------------------------
@pytest.mark.parametrize('payload,status,expected', [
    (dict(boxes=[]), 400, 'no box'),
    (dict(boxes=[[10, 10, 0, 30]]), 400, 'object 0: the box is empty'),
    (dict(boxes=[[50, 50, 20, 20], [10, 10, 40, 0.5]]), 400,
     'object 1: the box is empty'),
    (dict(boxes=[[400, 10, 20, 20]]), 400, 'outside the 320x240 frame'),
    (dict(boxes=[[-5, 10, 20, 20]]), 400, 'outside'),
    (dict(boxes=[[1, 2, 3]]), 400, 'expected four numbers'),
    (dict(boxes=[[10, 10, 20, 20]] * 9), 400, 'at most 8'),
    (dict(boxes=[[10, 10, 20, 20]], start_frame=119), 400, 'start frame'),
    (dict(boxes=[[10, 10, 20, 20]], start_frame=-1), 400, 'start frame'),
    (dict(boxes=[[10, 10, 20, 20]], frames=1), 400, 'at least 2'),
    (dict(boxes=[[10, 10, 20, 20]], model='r50'), 400, "unknown model 'r50'"),
    (dict(boxes=[[10, 10, 20, 20]], video_id='0' * 32), 404,
     'unknown video'),
    (dict(boxes=[[10, 10, 20, 20]], corrections=[dict(
        frame=0, boxes={'0': [1, 1, 9, 9]})]), 400, 'outside the tracked'),
    (dict(boxes=[[10, 10, 20, 20]], corrections=[dict(
        frame=2, boxes={'3': [1, 1, 9, 9]})]), 400, 'no object 3'),
    (dict(boxes='10,10,20,20'), 422, 'boxes'),
    (dict(boxes=[['a', 1, 2, 3]]), 422, 'boxes'),
])
def test_track_refuses_bad_input(server, payload, status, expected):
    client, service = server
    body = dict(video_id='default', start_frame=0)
    body.update(payload)
    res = _post(client, '/api/track', body)
    assert res.status_code == status, res.text
    detail = res.json()['detail']
    assert isinstance(detail, str) and expected in detail, detail
    assert service.current is None  # nothing was queued
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


def test_long_job_needs_confirming(server):
    client, service = server
    service.long_frames, service.max_frames = 50, None
    try:
        res = _post(client, '/api/track',
                    dict(video_id='default', boxes=[list(FACE_XYWH)]))
        assert res.status_code == 400 and res.json()['confirm'] is True
        assert '120 frames to track: about' in res.json()['detail']
        assert service.current is None
        res = _post(client, '/api/track',
                    dict(video_id='default', boxes=[list(FACE_XYWH)],
                         frames=50))  # at the bound: no question
        assert res.status_code == 200, res.text
        service.cancel(res.json()['job_id'])
        assert _wait(client, res.json()['job_id'])[-1]['state'] in (
            'cancelled', 'done')
    finally:
        service.long_frames, service.max_frames = 1500, 4


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
    os.remove(osp.join(service.upload_dir, 'upload.txt'))
    _alive(client)


def test_other_hosts_are_refused(server):
    client, _ = server
    res = client.get('/api/info', headers={'Host': 'attacker.example'})
    assert res.status_code == 400
    assert client.get('/api/info', headers={
        'Host': 'localhost:8000'
    }).status_code == 200


# ---- jobs ---------------------------------------------------------------
def test_track_job_writes_masks_equal_to_the_trackers(server):
    """A real job on the embedded clip: progress events, the track file's
    first rows are the given boxes, an H.264 mp4, and the exported masks
    (COCO RLE json and PNG zip) are the tracker API's own masks."""
    client, service = server
    boxes = [list(FACE_XYWH), [20, 30, 40, 50]]
    events = _run_job(client, dict(video_id='default', start_frame=10,
                                   boxes=boxes))
    last = events[-1]
    assert last['state'] == 'done', last
    assert last['done'] == last['total'] == 4  # max_frames
    assert any(e['state'] == 'running' for e in events)
    assert [e['done'] for e in events] == sorted(e['done'] for e in events)
    assert set(last['files']) == {'video', 'track', 'sheet', 'masks_json',
                                  'masks_zip'}
    rows = _track_rows(client, last)
    assert len(rows) == 4 * 2
    assert rows[0][:6] == [10, 0, *FACE_XYWH]
    assert rows[1][:6] == [10, 1, 20, 30, 40, 50]
    assert [int(r[0]) for r in rows] == [10, 10, 11, 11, 12, 12, 13, 13]
    import imageio.v3 as iio
    path = _job_file(service, last, 'video')
    assert iio.immeta(path)['codec'] == 'h264' and len(iio.imread(path)) == 4
    part = client.get(last['files']['video'], headers={'Range': 'bytes=0-9'})
    assert part.status_code == 206 and len(part.content) == 10

    from web_helpers import reference_track
    ref = reference_track(service._model(service.models['cpu']), 10, 4,
                          boxes)
    from pycocotools import mask as mask_utils
    from pycocotools.coco import COCO
    coco = COCO(_job_file(service, last, 'masks_json'))
    assert sorted(coco.getImgIds()) == [10, 11, 12, 13]
    import io
    import zipfile

    from PIL import Image
    archive = zipfile.ZipFile(_job_file(service, last, 'masks_zip'))
    assert archive.namelist() == [f'{i:06d}.png' for i in range(10, 14)]
    for index, bboxes, scores, masks in ref:
        anns = sorted(coco.loadAnns(coco.getAnnIds(imgIds=[index])),
                      key=lambda a: a['object'])
        assert [a['object'] for a in anns] == [0, 1]
        label = np.zeros(masks.shape[1:], np.uint8)
        for k, ann in enumerate(anns):
            got = mask_utils.decode(ann['segmentation']).astype(bool)
            assert got.any() and np.array_equal(got, masks[k]), (index, k)
            assert ann['score'] == pytest.approx(scores[k], abs=1e-4)
            label[masks[k]] = k + 1
        png = np.array(Image.open(io.BytesIO(archive.read(
            f'{index:06d}.png'))))
        assert np.array_equal(png, label)


def test_cancel_keeps_a_valid_partial_result(server):
    client, service = server
    service.max_frames = None
    try:
        res = _post(client, '/api/track', dict(
            video_id='default', boxes=[list(FACE_XYWH)], frames=100))
        job_id = res.json()['job_id']
        cur = client.get('/api/jobs/current').json()['job']
        assert cur['job_id'] == job_id  # a reloaded page finds it
        while client.get(f'/api/jobs/{job_id}').json()['done'] < 3:
            time.sleep(0.1)
        assert _post(client, f'/api/jobs/{job_id}/cancel',
                     {}).status_code == 200
        last = _wait(client, job_id)[-1]
    finally:
        service.max_frames = 4
    assert last['state'] == 'cancelled', last
    n = last['done']
    assert 3 <= n < 100
    assert f'frames 0..{n - 1}' in last['message']
    assert client.get('/api/jobs/current').json()['job'] is None
    import imageio.v3 as iio
    from pycocotools.coco import COCO
    rows = _track_rows(client, last)
    assert [int(r[0]) for r in rows] == list(range(n))
    assert len(iio.imread(_job_file(service, last, 'video'))) == n
    assert len(COCO(_job_file(service, last, 'masks_json')).getImgIds()) == n


def test_correction_on_a_later_frame(server):
    """A correction at frame 2 (object 0 moved onto the look-alike face):
    the frames before are the uncorrected run's, frame 2 is the given box,
    the frames after follow it. Continuing from the earlier job's tracker
    state (``base_job``: ``set_state`` after frame 1) gives exactly the
    result of tracking again from the start with the same correction."""
    client, service = server
    base = dict(video_id='default', boxes=[list(FACE_XYWH)])
    fix = [dict(frame=2, boxes={'0': [92, 40, 43, 55]})]
    plain = _run_job(client, base)[-1]
    resumed = _run_job(client, dict(base, corrections=fix,
                                    base_job=plain['job_id']))[-1]
    full = _run_job(client, dict(base, corrections=fix))[-1]
    assert resumed['state'] == full['state'] == 'done', resumed
    assert resumed['corrections'] == fix
    assert resumed['resumed_from'] == 1 and full['resumed_from'] is None
    before = _track_rows(client, plain)
    after = _track_rows(client, resumed)
    assert after[:2] == before[:2]
    assert after[2][:6] == [2, 0, 92, 40, 43, 55]
    # frame 3 follows the look-alike (x ~ 92), not the first face (~131)
    assert abs(after[3][2] - 92) < 10 < abs(before[3][2] - 92)
    assert after == _track_rows(client, full)
    masks = [json.load(open(_job_file(service, s, 'masks_json')))
             for s in (resumed, full)]
    assert masks[0]['annotations'] == masks[1]['annotations']
    # a base job of another request is not continued from
    other = _run_job(client, dict(base, start_frame=1, corrections=[dict(
        frame=3, boxes={'0': [92, 40, 43, 55]})],
        base_job=plain['job_id']))[-1]
    assert other['state'] == 'done' and other['resumed_from'] is None


def test_preview(server):
    client, service = server
    last = _run_job(client, dict(video_id='default', boxes=[list(FACE_XYWH)]),
                    url='/api/preview')[-1]
    assert last['state'] == 'done' and last['kind'] == 'preview', last
    import cv2
    img = cv2.imread(_job_file(service, last, 'preview'))
    # start frame + the next frames (here capped by --max-frames 4), each
    # 200 px high at the clip's 4:3
    assert img.shape[:2] == (200, 4 * 266)


def test_one_job_at_a_time_and_errors_keep_the_server(server, tmp_path):
    client, service = server
    data = tiny_video(tmp_path / 'gone.mp4').read_bytes()
    video = _upload(client, 'gone.mp4', data).json()
    os.remove(service.videos[video['video_id']].path)
    events = _run_job(
        client, dict(video_id=video['video_id'], boxes=[[10, 20, 20, 20]]))
    assert events[-1]['state'] == 'error'
    assert 'not found' in events[-1]['message']
    assert service.out_dir not in events[-1]['message']
    ok = _post(client, '/api/track',
               dict(video_id='default', boxes=[list(FACE_XYWH)]))
    assert ok.status_code == 200
    busy = _post(client, '/api/track',
                 dict(video_id='default', boxes=[list(FACE_XYWH)]))
    assert busy.status_code == 409
    assert 'running' in busy.json()['detail']
    job_id = ok.json()['job_id']
    _wait(client, job_id)
    assert client.get(f'/api/jobs/{job_id}').json()['state'] == 'done'
    assert client.get('/api/jobs/nope').status_code == 404


def test_job_does_not_depend_on_the_current_default_scope(server):
    client, _ = server
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmdet'):
        events = _run_job(
            client, dict(video_id='default', boxes=[list(FACE_XYWH)]))
    assert events[-1]['state'] == 'done', events[-1]['message']
