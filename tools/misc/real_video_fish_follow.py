# Copyright (c) mmtao contributors. All rights reserved.
"""Labelling aid for the real-video benchmark's fish tasks (idtrackerai's
zebrafish clips): which fish is which between keyframes.

The fish are dark on a bright, even tank. Every frame is thresholded against
a median background (``gray < background - 35``), dark blobs of >= 40 px are
the fish, and each fish of frame 0 is followed to the nearest blob of the
next frame. A frame is *unsafe* for a fish when its blob is a merge of two
(area > 560 px), jumps > 25 px, or is also the nearest blob of another fish;
the fish tasks use windows with no unsafe frame only (there identity is not
in doubt), and their keyframe boxes are the blob's extent (the dark body;
the faint tail tip is left out), checked by eye on zoomed check sheets
(``real_video_sheets.py check idt_testa fishA --zoom``). Prints each fish's
longest safe window and, with ``--keyframes``, its blob boxes there::

    python tools/misc/real_video_fish_follow.py idt_testa --last 500
"""
import argparse
import os.path as osp
from typing import List, Tuple

import numpy as np
from PIL import Image
from scipy import ndimage

Blob = Tuple[float, float, int, int, int, int, int]  # cx, cy, box, area


def dark_blobs(path: str, delta: float = 35, min_area: int = 40) -> List:
    """(cx, cy, x1, y1, x2, y2, area) of the dark blobs of a frame."""
    g = np.asarray(Image.open(path).convert('L'), np.float32)
    bg = ndimage.median_filter(g[::8, ::8], 9)
    bg = np.kron(bg, np.ones((8, 8)))[:g.shape[0], :g.shape[1]]
    lab, _ = ndimage.label(g < bg - delta)
    out = []
    for i, sl in enumerate(ndimage.find_objects(lab), 1):
        mask = lab[sl] == i
        area = int(mask.sum())
        if area < min_area:
            continue
        cy, cx = ndimage.center_of_mass(mask)
        out.append((cx + sl[1].start, cy + sl[0].start, sl[1].start,
                    sl[0].start, sl[1].stop, sl[0].stop, area))
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('video')
    parser.add_argument('--data-root', default='data/real_video')
    parser.add_argument('--last', type=int, required=True)
    parser.add_argument('--keyframes', type=int, nargs=3,
                        metavar=('FISH', 'START', 'STEP'))
    args = parser.parse_args(argv)

    def path(f):
        return osp.join(args.data_root, 'images', 'dev', args.video,
                        f'{f:06d}.jpeg')

    tracks = [[b] for b in dark_blobs(path(0))]
    unsafe = [[] for _ in tracks]
    for f in range(1, args.last + 1):
        blobs = dark_blobs(path(f))
        picks = []
        for tr in tracks:
            d = [np.hypot(b[0] - tr[-1][0], b[1] - tr[-1][1]) for b in blobs]
            picks.append((int(np.argmin(d)), min(d)))
        for t, (k, dist) in enumerate(picks):
            shared = sum(k == other for other, _ in picks) > 1
            if blobs[k][6] > 560 or dist > 25 or shared:
                unsafe[t].append(f)
            tracks[t].append(blobs[k])
    for t, bad in enumerate(unsafe):
        edges = [0] + bad + [args.last + 1]
        gap, lo = max((edges[i + 1] - edges[i], edges[i])
                      for i in range(len(edges) - 1))
        print(f'fish {t} (starts at {tracks[t][0][0]:.0f},'
              f'{tracks[t][0][1]:.0f}): longest safe window {lo + 1}..'
              f'{lo + gap - 1}')
    if args.keyframes:
        fish, start, step = args.keyframes
        for f in range(start, args.last + 1, step):
            print(f, *tracks[fish][f][2:6])


if __name__ == '__main__':
    main()
