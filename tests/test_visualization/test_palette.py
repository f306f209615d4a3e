# Copyright (c) mmtao contributors. All rights reserved.
"""Object colours: one qualitative palette for the CLI and the browser."""
import cv2
import numpy as np

from mmtao.visualization import draw_tracks, object_colors, track_colors


def _lab(rgb):
    px = np.asarray([[rgb]], np.uint8)
    return cv2.cvtColor(px, cv2.COLOR_RGB2LAB)[0, 0].astype(float)


def test_first_colours_are_far_apart():
    """The report's fault: objects 0 and 1 were (102,179,92) and (14,106,71),
    two greens. Every pair of the first 8 colours now differs clearly in
    CIELAB (OpenCV's conversion as the reference)."""
    colors = object_colors(8)
    assert len(set(colors)) == 8
    labs = [_lab(c) for c in colors]
    dists = [np.linalg.norm(labs[i] - labs[j]) for i in range(8)
             for j in range(i + 1, 8)]
    assert min(dists) > 25, min(dists)
    old = [_lab((102, 179, 92)), _lab((14, 106, 71))]
    assert np.linalg.norm(labs[0] - labs[1]) > 1.5 * np.linalg.norm(
        old[0] - old[1])
    # hues: 0 and 1 are not both green
    hsv = cv2.cvtColor(np.asarray([colors[:2]], np.uint8), cv2.COLOR_RGB2HSV)
    assert abs(int(hsv[0, 0, 0]) - int(hsv[0, 1, 0])) > 30


def test_cli_drawing_uses_the_shared_palette():
    """The demo's boxes (draw_tracks, BGR) are object_colors (RGB), the
    colours the browser demo is given."""
    frame = np.zeros((60, 80, 3), np.uint8)
    boxes = np.array([[5, 20, 30, 50], [40, 20, 70, 50]], np.float32)
    drawn = draw_tracks(frame, boxes, np.ones(2), line_width=1)
    for (x1, y1, x2, y2), rgb in zip(boxes.astype(int), object_colors(2)):
        assert tuple(drawn[y2, (x1 + x2) // 2]) == rgb[::-1]
    assert track_colors(3) == [c[::-1] for c in object_colors(3)]
    assert object_colors(12)[10] == object_colors(12)[0]  # cycles past 10
