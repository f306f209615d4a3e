# Copyright (c) mmtao contributors. All rights reserved.
from collections.abc import Sequence
from typing import List, Optional, Tuple, Union

from torch import Tensor


class AttendedLevels(Sequence):
    """The attended pyramid ``P_i . S_i`` of K templates, each level
    computed on first use.

    The lean track step needs the (K, C, H_i, W_i) products only where a
    consumer reads them whole: the direct RPN conv below the factorized
    threshold, and mmcv's RoIAlign for sets of very few RoIs (more are
    gathered from the frame's levels and maps). With many
    templates the RPN works on ``P_i`` and ``S_i`` themselves
    (:func:`attended_conv3x3`), so most levels are never built (K x the
    pyramid's memory, ~1.7 ms per frame at K=8 and 416x312).

    Args:
        feats (Sequence[Tensor]): The frame's levels (1, C, H_i, W_i).
        sims (Sequence[Tensor]): Similarity maps (K, 1, H_i, W_i).
    """

    def __init__(self, feats: Sequence[Tensor],
                 sims: Sequence[Tensor]) -> None:
        if len(feats) != len(sims):
            raise ValueError(f'{len(feats)} levels but {len(sims)} '
                             'similarity maps')
        self.feats, self.sims = feats, sims
        self._levels: List[Optional[Tensor]] = [None] * len(feats)

    def __len__(self) -> int:
        return len(self._levels)

    def __getitem__(self, index: Union[int, slice]
                    ) -> Union[Tensor, Tuple[Tensor, ...]]:
        if isinstance(index, slice):  # mmdet's extractors slice the levels
            return tuple(self[i] for i in range(*index.indices(len(self))))
        if self._levels[index] is None:
            self._levels[index] = self.feats[index] * self.sims[index]
        return self._levels[index]
