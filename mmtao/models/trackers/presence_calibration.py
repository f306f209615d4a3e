# Copyright (c) mmtao contributors. All rights reserved.
from typing import Dict, Sequence

import torch
from torch import Tensor

from mmtao.registry import MODELS


@MODELS.register_module()
class PresenceCalibration:
    """A presence score from the tracker's cues, by logistic regression.

    ``p = sigmoid(bias + sum_j w_j x_j)`` over the cues named in ``cues``:
    ``logit_score`` (the detector confidence c as ``log(c / (1 - c))``),
    ``sim_first`` / ``sim_now`` (the mean similarity of the first-frame /
    current template with the features under the chosen mask; about 0.9 on
    the object, 0 on background), ``motion`` (the motion prior's factor of
    the chosen candidate). The weights are fitted on validation data by
    ``tools/analysis/fit_presence.py`` so that ``p >= 0.5`` is the chosen
    operating point.

    Args:
        cues (Sequence[str]): Names of the cues used.
        weights (Sequence[float]): One weight per cue.
        bias (float): The intercept.
    """

    known = ('logit_score', 'sim_first', 'sim_now', 'motion')

    def __init__(self, cues: Sequence[str], weights: Sequence[float],
                 bias: float) -> None:
        cues, weights = list(cues), [float(w) for w in weights]
        unknown = [c for c in cues if c not in self.known]
        if unknown or len(cues) != len(weights) or not cues:
            raise ValueError(
                f'PresenceCalibration: cues must be a non-empty subset of '
                f'{self.known} with one weight each, got {cues} and '
                f'{weights}')
        self.cues, self.weights, self.bias = cues, weights, float(bias)

    @staticmethod
    def logit(score: Tensor) -> Tensor:
        s = score.float().clamp(1e-4, 1 - 1e-4)
        return torch.log(s / (1 - s))

    def __call__(self, cues: Dict[str, Tensor]) -> Tensor:
        """Presence (K, ) from cues, each (K, )."""
        z = None
        for name, w in zip(self.cues, self.weights):
            x = cues[name].float()
            z = w * x if z is None else z + w * x
        return torch.sigmoid(z + self.bias)
