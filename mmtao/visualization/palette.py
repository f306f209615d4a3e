# Copyright (c) mmtao contributors. All rights reserved.
"""One qualitative palette for tracked objects, shared by every drawing.

The CLI demo's video, the browser demo's canvas, list and result video all
colour object ``k`` with ``object_colors(n)[k]``. The colours are
matplotlib's ``tab10`` (a qualitative palette: distinct hues at similar
lightness), reordered so that its two closest hues (red and brown, CIEDE2000
16) are objects 3 and 9 rather than neighbours among the first eight;
object 0 is blue and object 1 orange.
"""
from typing import List, Tuple

# tab10 indices: blue, orange, green, red, purple, cyan, olive, pink, grey,
# brown
_TAB10_ORDER = (0, 1, 2, 3, 4, 9, 8, 6, 7, 5)


def object_colors(num_objects: int) -> List[Tuple[int, int, int]]:
    """RGB uint8 colour of objects ``0..num_objects-1`` (cycling past 10).

    Args:
        num_objects (int): Number of colours wanted (>= 0).

    Returns:
        list[tuple[int, int, int]]: ``(r, g, b)`` in 0..255, one per object.
    """
    from matplotlib import colormaps
    base = colormaps['tab10'].colors
    rgb = [tuple(int(round(255 * v)) for v in base[i]) for i in _TAB10_ORDER]
    return [rgb[k % len(rgb)] for k in range(num_objects)]
