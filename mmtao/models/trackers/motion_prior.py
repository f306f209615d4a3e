# Copyright (c) mmtao contributors. All rights reserved.
import math
from typing import Optional

import torch
from torch import Tensor

from mmtao.registry import MODELS


@MODELS.register_module()
class MotionPrior:
    """Re-scores candidates by how far they are from where the object was.

    The factor of a candidate whose centre is ``d`` object sizes (``sqrt(w
    h)`` of the last confident box) from the last confident centre is
    ``floor + (1 - floor) * exp(-d^2 / (2 sigma_n^2))`` with ``sigma_n =
    min(sigma + growth * n, max_sigma)``, ``n`` the frames since the object
    was last seen confidently. While the object is lost ``n`` grows and the
    prior relaxes towards 1, so that it is re-detected anywhere after an
    absence or a re-entry; ``floor`` keeps far candidates possible at once.

    With ``scale_sigma`` the factor also falls with the change of size: a
    candidate whose ``sqrt(w h)`` is ``r`` times the last confident size
    is weighted ``exp(-ln(r)^2 / (2 tau_n^2))``, ``tau_n = scale_sigma *
    sigma_n / sigma`` (relaxing with the distance width), so that a part of
    the object or a bigger thing around it does not take the track where
    both score alike (Siamese trackers' scale-change penalty).

    Args:
        sigma (float): Width on the frame after a confident one, in object
            sizes. Defaults to 1.
        growth (float): Width added per frame since confident. Defaults to
            0.5.
        max_sigma (float): Width cap. Defaults to 10.
        floor (float): Factor far away. Defaults to 0.2.
        scale_sigma (float, optional): Width of the size term, in natural
            log units of the size ratio. Defaults to None (no size term).
    """

    def __init__(self,
                 sigma: float = 1.0,
                 growth: float = 0.5,
                 max_sigma: float = 10.0,
                 floor: float = 0.2,
                 scale_sigma: Optional[float] = None) -> None:
        if sigma <= 0 or growth < 0 or max_sigma < sigma:
            raise ValueError('MotionPrior: need sigma > 0, growth >= 0 and '
                             f'max_sigma >= sigma, got {sigma}, {growth}, '
                             f'{max_sigma}')
        if not 0 <= floor <= 1:
            raise ValueError(f'MotionPrior: floor must be in [0, 1], got '
                             f'{floor}')
        if scale_sigma is not None and scale_sigma <= 0:
            raise ValueError('MotionPrior: scale_sigma must be > 0 or None, '
                             f'got {scale_sigma}')
        self.scale_sigma = scale_sigma
        self.sigma = sigma
        self.growth = growth
        self.max_sigma = max_sigma
        self.floor = floor
        self.centre: Optional[Tensor] = None
        self.size = 1.0
        self.lost = 0

    def reset(self, bbox: Tensor) -> None:
        """Start at a box known to be the object, (4, ) xyxy."""
        bbox = torch.as_tensor(bbox).reshape(4).float()
        self.centre = (bbox[:2] + bbox[2:]) / 2
        self.size = max(
            math.sqrt(float((bbox[2] - bbox[0]) * (bbox[3] - bbox[1]))), 1.0)
        self.lost = 0

    def width(self) -> float:
        """float: sigma_n of the coming frame, in object sizes."""
        return min(self.sigma + self.growth * self.lost, self.max_sigma)

    def factor(self, bboxes: Tensor) -> Tensor:
        """Factors (k, ) of candidates (k, 4) xyxy on the coming frame."""
        if self.centre is None:
            raise RuntimeError('MotionPrior.factor called before reset')
        centres = (bboxes[:, :2] + bboxes[:, 2:]) / 2
        d = (centres.float() - self.centre.to(bboxes.device)).norm(
            dim=1) / self.size
        width = self.width()
        prior = torch.exp(-0.5 * (d / width)**2)
        if self.scale_sigma is not None:
            wh = (bboxes[:, 2:] - bboxes[:, :2]).float().clamp(min=1e-3)
            log_ratio = torch.log(wh.prod(1).sqrt() / self.size)
            tau = self.scale_sigma * width / self.sigma
            prior = prior * torch.exp(-0.5 * (log_ratio / tau)**2)
        return (self.floor + (1 - self.floor) * prior).to(bboxes.dtype)

    def update(self, bbox: Optional[Tensor], confident: bool) -> None:
        """After a frame: a confident box moves the prior there; otherwise
        the object counts one more frame lost."""
        if confident and bbox is not None:
            self.reset(bbox)
        else:
            self.lost += 1

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(sigma={self.sigma}, growth='
                f'{self.growth}, max_sigma={self.max_sigma}, floor='
                f'{self.floor}, scale_sigma={self.scale_sigma})')
