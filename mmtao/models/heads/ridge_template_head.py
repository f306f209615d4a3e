# Copyright (c) mmtao contributors. All rights reserved.
import math
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
from mmdet.structures.bbox import bbox2roi
from mmengine.model import BaseModule
from torch import Tensor

from mmtao.registry import MODELS


def check_template_bboxes(bboxes: Tensor,
                          img_shape: Sequence[int],
                          name: str = 'template bbox') -> None:
    """Raise a ValueError for boxes no template can be taken from.

    Args:
        bboxes (Tensor): Boxes of shape (k, 4) in xyxy.
        img_shape (Sequence[int]): (h, w) of the image the boxes live in.
        name (str): How to call the boxes in the message.
    """
    if not isinstance(bboxes, Tensor) or bboxes.dim() != 2 \
            or bboxes.size(-1) != 4:
        shape = tuple(bboxes.shape) if isinstance(bboxes, Tensor) \
            else type(bboxes).__name__
        raise ValueError(f'{name} must be a Tensor of shape (k, 4) in xyxy, '
                         f'got {shape}')
    h, w = int(img_shape[0]), int(img_shape[1])
    for box in bboxes.detach().cpu().tolist():
        if any(math.isnan(v) or math.isinf(v) for v in box):
            raise ValueError(f'{name} {box} contains NaN or inf; expected '
                             'four finite xyxy coordinates')
        x1, y1, x2, y2 = box
        if x2 <= x1 or y2 <= y1:
            raise ValueError(f'{name} {box} has non-positive size '
                             f'(w={x2 - x1:g}, h={y2 - y1:g}); expected '
                             'x2 > x1 and y2 > y1')
        if x2 <= 0 or y2 <= 0 or x1 >= w or y1 >= h:
            raise ValueError(f'{name} {box} lies entirely outside the image '
                             f'of size (h={h}, w={w})')


def sample_points(feat: Tensor, xs: Tensor, ys: Tensor,
                  stride: int) -> Tensor:
    """Bilinear features of one level at points in input coordinates.

    The convention of :class:`RidgeTemplateHead` (cell ``i`` covers pixels
    ``[i * s, (i + 1) * s)``, border padding), shared with the trackers'
    template memory.

    Args:
        feat (Tensor): (D, H, W) one level of one image.
        xs (Tensor): (n, ) x in input pixels.
        ys (Tensor): (n, ) y in input pixels.
        stride (int): The level's stride.

    Returns:
        Tensor: (n, D).
    """
    h, w = feat.shape[-2:]
    # grid_sample with align_corners=False: -1 is the left edge of cell 0
    grid = torch.stack([xs / stride / w * 2 - 1, ys / stride / h * 2 - 1],
                       dim=-1).to(feat.dtype)
    out = F.grid_sample(
        feat[None],
        grid[None, None],
        mode='bilinear',
        padding_mode='border',
        align_corners=False)
    return out[0, :, 0].t()


@MODELS.register_module()
class RidgeTemplateHead(BaseModule):
    """Computes the object template T_d of "Learning to Track Any Object".

    The template box is mapped to one FPN level with Mask R-CNN's RoI level
    rule (``SingleRoIExtractor.map_roi_levels``:
    ``floor(log2(sqrt(w * h) / finest_scale))`` clamped to the levels), and
    the ``1x1xD`` feature at the box centre is read there by bilinear
    interpolation (feature cell ``i`` covers image pixels
    ``[i * s, (i + 1) * s)``, the convention of RoIAlign with
    ``aligned=True``). Negatives are feature-cell centres from all levels that
    lie inside the image and outside the box. The template is then one of
    (Sec. 3.4 and Table 1 of the paper):

    - ``center``: the centre feature T.
    - ``mean_pos``: the mean of a ``grid_size x grid_size`` grid of features
      sampled inside the box on the box's level.
    - ``mean_diff``: that positive mean minus the mean of the negatives.
    - ``ridge`` (default): ridge regression of Eq. 1-3,
      ``T_d = (A^T A + lambda I)^-1 A^T y`` with ``A = [T; n_1..n_q]`` and
      ``y = [1; 0..0]``.

    Args:
        strategy (str): One of ``'center'``, ``'mean_pos'``, ``'mean_diff'``,
            ``'ridge'``. Defaults to ``'ridge'``.
        featmap_strides (Sequence[int]): Strides of the FPN levels the RoI
            heads pool from (those the template and negatives come from).
            Defaults to (4, 8, 16, 32).
        finest_scale (int): Scale threshold of level 0, as in
            ``SingleRoIExtractor``. Defaults to 56.
        num_negatives (int): Number of negatives q, split evenly over the
            levels. Defaults to 256.
        grid_size (int): Side of the positive grid of ``mean_pos`` and
            ``mean_diff``. Defaults to 3.
        reg (float): Ridge regulariser. Defaults to 0.1.
        reg_mode (str): ``'relative'`` (default) uses
            ``lambda = reg * mean_p ||a_p||^2`` over the positive rows, so
            that T_d does not depend on the scale of the features (the
            similarity at the template is then about ``1 / (1 + reg)``);
            ``'absolute'`` uses ``lambda = reg``. (The relative lambda is
            floored at ``1e-4 * reg * max ||a||^2`` so that a near-zero
            template stays well posed.)
        seed (int): Seed of the negative sampling in eval mode, reset for
            every template so that a template depends only on its own frame
            and box. In train mode the global RNG is used. Defaults to 0.
        init_cfg (dict, optional): Initialization config. The head has no
            parameters. Defaults to None.
    """

    strategies = ('center', 'mean_pos', 'mean_diff', 'ridge')

    def __init__(self,
                 strategy: str = 'ridge',
                 featmap_strides: Sequence[int] = (4, 8, 16, 32),
                 finest_scale: int = 56,
                 num_negatives: int = 256,
                 grid_size: int = 3,
                 reg: float = 0.1,
                 reg_mode: str = 'relative',
                 seed: int = 0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if strategy not in self.strategies:
            raise ValueError(f'strategy must be one of {self.strategies}, '
                             f'got {strategy!r}')
        if reg_mode not in ('relative', 'absolute'):
            raise ValueError("reg_mode must be 'relative' or 'absolute', "
                             f'got {reg_mode!r}')
        if reg <= 0:
            raise ValueError(f'reg must be > 0 for a stable solve, got {reg}')
        if num_negatives < 0 or grid_size < 1:
            raise ValueError('num_negatives must be >= 0 and grid_size >= 1, '
                             f'got {num_negatives} and {grid_size}')
        self.strategy = strategy
        self.featmap_strides = tuple(featmap_strides)
        self.finest_scale = finest_scale
        self.num_negatives = num_negatives
        self.grid_size = grid_size
        self.reg = reg
        self.reg_mode = reg_mode
        self.seed = seed

    @property
    def num_levels(self) -> int:
        """int: Number of FPN levels templates and negatives come from."""
        return len(self.featmap_strides)

    def map_levels(self, rois: Tensor) -> Tensor:
        """Map boxes to FPN levels exactly as Mask R-CNN's RoI extractor.

        Args:
            rois (Tensor): RoIs of shape (k, 5), ``[batch_ind, x1, y1, x2,
                y2]``.

        Returns:
            Tensor: Level index of each box, shape (k, ).
        """
        # Reuse mmdet's rule itself: it only reads ``self.finest_scale``.
        return SingleRoIExtractor.map_roi_levels(self, rois, self.num_levels)

    def solve(self, positives: Tensor, negatives: Tensor) -> Tensor:
        """Ridge regression template (Eq. 3), batched and differentiable.

        Solves ``T_d = (A^T A + lambda I)^-1 A^T y`` with ``A = [positives;
        negatives]`` and ``y = [1..1; 0..0]``. When ``A`` has fewer rows than
        columns the dual form ``A^T (A A^T + lambda I)^-1 y`` is solved
        instead (same solution, smaller system). Both systems are symmetric
        positive definite, so a Cholesky factorisation is used (LU solve as
        a fallback); no explicit inverse is formed. All-zero negative rows
        (padding) do not change the solution.

        Args:
            positives (Tensor): Positive rows of shape (..., P, D), P >= 1.
            negatives (Tensor): Negative rows of shape (..., Q, D), Q >= 0.

        Returns:
            Tensor: The template, shape (..., D).
        """
        if positives.dim() < 2 or negatives.dim() != positives.dim() \
                or positives.size(-1) != negatives.size(-1) \
                or positives.size(-2) < 1:
            raise ValueError(
                'solve expects positives (..., P>=1, D) and negatives '
                f'(..., Q, D) with equal D, got {tuple(positives.shape)} and '
                f'{tuple(negatives.shape)}')
        A = torch.cat([positives, negatives], dim=-2)
        num_pos, dim = positives.size(-2), A.size(-1)
        y = torch.zeros(A.shape[:-1], dtype=A.dtype, device=A.device)
        y[..., :num_pos] = 1
        if self.reg_mode == 'relative':
            lam = self.reg * positives.pow(2).sum(-1).mean(-1)
            # A (near) zero template would make lambda vanish next to large
            # negatives: floor it at 1e-4 of the largest row's scale (no
            # effect unless ||T||^2 < 1e-4 max ||a||^2), and above 0.
            floor = 1e-4 * self.reg * A.pow(2).sum(-1).amax(-1)
            lam = torch.maximum(lam, floor).clamp(
                min=torch.finfo(A.dtype).tiny**0.5)
        else:
            lam = torch.full(
                A.shape[:-2], self.reg, dtype=A.dtype, device=A.device)
        lam = lam[..., None, None]
        At = A.transpose(-1, -2)
        if A.size(-2) < dim:
            # dual: (A A^T + lambda I) alpha = y, T_d = A^T alpha
            eye = torch.eye(A.size(-2), dtype=A.dtype, device=A.device)
            alpha = self._spd_solve(A @ At + lam * eye, y[..., None])
            return (At @ alpha)[..., 0]
        eye = torch.eye(dim, dtype=A.dtype, device=A.device)
        return self._spd_solve(At @ A + lam * eye, At @ y[..., None])[..., 0]

    @staticmethod
    def _spd_solve(M: Tensor, b: Tensor) -> Tensor:
        """Solve ``M x = b`` for symmetric positive definite ``M``."""
        L, info = torch.linalg.cholesky_ex(M)
        if bool((info == 0).all()):
            return torch.cholesky_solve(b, L)
        # float32 round-off can break positive definiteness; LU still works.
        return torch.linalg.solve(M, b)

    def forward(self, feats: Tuple[Tensor], bboxes: List[Tensor],
                batch_img_metas: List[dict]) -> Tensor:
        """Compute one template per box.

        Args:
            feats (tuple[Tensor]): FPN levels, each of shape (B, D, H_l, W_l);
                the first ``len(featmap_strides)`` are used.
            bboxes (list[Tensor]): Template boxes per image, each of shape
                (k_b, 4), xyxy in input coordinates.
            batch_img_metas (list[dict]): Meta of each image; ``img_shape``
                (the real extent, not the padded one) bounds where negatives
                are taken.

        Returns:
            Tensor: Templates of shape (sum_b k_b, D), in the order of the
            boxes.
        """
        if len(feats) < self.num_levels:
            raise ValueError(
                f'RidgeTemplateHead has {self.num_levels} featmap_strides but '
                f'got {len(feats)} feature levels')
        if len(bboxes) != feats[0].size(0) or len(batch_img_metas) != len(
                bboxes):
            raise ValueError(
                f'got {len(bboxes)} box lists and {len(batch_img_metas)} '
                f'metas for a batch of {feats[0].size(0)} images')
        for b, (boxes, meta) in enumerate(zip(bboxes, batch_img_metas)):
            check_template_bboxes(boxes, meta['img_shape'],
                                  f'template bbox of image {b}')
        feats = feats[:self.num_levels]
        rois = bbox2roi([b.to(feats[0].dtype) for b in bboxes])
        if rois.size(0) == 0:
            return feats[0].new_zeros((0, feats[0].size(1)))
        levels = self.map_levels(rois)
        templates, ridge_pos, ridge_neg = [], [], []
        for roi, level in zip(rois, levels.tolist()):
            b = int(roi[0])
            box = roi[1:]
            pos = self._positives(feats[level][b], box,
                                  self.featmap_strides[level])
            if self.strategy == 'center':
                templates.append(pos[0])
                continue
            if self.strategy == 'mean_pos':
                templates.append(pos[1:].mean(0))
                continue
            neg = self._negatives([f[b] for f in feats], box,
                                  batch_img_metas[b]['img_shape'])
            if self.strategy == 'mean_diff':
                neg_mean = neg.mean(0) if len(neg) else neg.new_zeros(
                    pos.size(1))
                templates.append(pos[1:].mean(0) - neg_mean)
            else:
                ridge_pos.append(pos[:1])
                ridge_neg.append(neg)
        if self.strategy == 'ridge':
            # one batched solve for all templates
            return self.solve(torch.stack(ridge_pos), torch.stack(ridge_neg))
        return torch.stack(templates)

    def ridge_rows(self, feats: Tuple[Tensor], bboxes: Tensor,
                   img_meta: dict) -> Tuple[Tensor, Tensor, Tensor]:
        """The rows the ridge template of each box is solved on (one image).

        ``self.solve(*self.ridge_rows(...)[:2])`` is what :meth:`forward`
        returns with ``strategy='ridge'`` (the same rows, the same solve); a
        tracker keeps the rows to re-solve the template on a larger memory.

        Args:
            feats (tuple[Tensor]): FPN levels of one image, (1, D, H_l, W_l).
            bboxes (Tensor): (K, 4) xyxy in input coordinates.
            img_meta (dict): Its meta (``img_shape``).

        Returns:
            tuple[Tensor]: positives (K, 1, D) (the centre features),
            negatives (K, num_negatives, D) (zero rows pad) and the FPN level
            of each box (K, ).
        """
        check_template_bboxes(bboxes, img_meta['img_shape'], 'template bbox')
        feats = feats[:self.num_levels]
        rois = bbox2roi([bboxes.to(feats[0].dtype)])
        levels = self.map_levels(rois)
        pos, neg = [], []
        for roi, level in zip(rois, levels.tolist()):
            box = roi[1:]
            pos.append(
                self._positives(feats[level][0], box,
                                self.featmap_strides[level])[:1])
            neg.append(
                self._negatives([f[0] for f in feats], box,
                                img_meta['img_shape']))
        return torch.stack(pos), torch.stack(neg), levels

    def _positives(self, feat: Tensor, box: Tensor, stride: int) -> Tensor:
        """Bilinear features at the box centre (row 0) and on a grid inside
        the box (rows 1..grid_size**2), from one level (D, H, W)."""
        x1, y1, x2, y2 = box
        g = self.grid_size
        frac = (torch.arange(g, dtype=box.dtype, device=box.device) + 0.5) / g
        gx = (x1 + frac * (x2 - x1))[None, :].expand(g, g).reshape(-1)
        gy = (y1 + frac * (y2 - y1))[:, None].expand(g, g).reshape(-1)
        xs = torch.cat([((x1 + x2) / 2)[None], gx])
        ys = torch.cat([((y1 + y2) / 2)[None], gy])
        return sample_points(feat, xs, ys, stride)

    def negative_cells(self,
                       featmap_sizes: Sequence[Tuple[int, int]],
                       box: Tensor,
                       img_shape: Sequence[int],
                       generator: Optional[torch.Generator] = None
                       ) -> List[Tensor]:
        """Draw the negative cells of one template, level by level.

        A candidate is a feature cell whose centre ``((i + 0.5) * s,
        (j + 0.5) * s)`` lies inside the image (``img_shape`` is the real
        extent, not the padded one) and outside the box; each level draws
        its share of ``num_negatives`` without replacement.

        Args:
            featmap_sizes (Sequence[tuple[int, int]]): (H_l, W_l) per level.
            box (Tensor): The template box (4, ), xyxy input coordinates.
            img_shape (Sequence[int]): (h, w) of the real image.
            generator (torch.Generator, optional): RNG of the draw.

        Returns:
            list[Tensor]: Per level, the flat indices (into ``H_l * W_l``,
            row-major) of the drawn cells, LongTensor (n_l, ).
        """
        num_levels = len(featmap_sizes)
        per_level = [
            self.num_negatives // num_levels +
            (1 if lvl < self.num_negatives % num_levels else 0)
            for lvl in range(num_levels)
        ]
        x1, y1, x2, y2 = box.detach().cpu().tolist()
        img_h, img_w = float(img_shape[0]), float(img_shape[1])
        cells = []
        for (h, w), stride, n in zip(featmap_sizes, self.featmap_strides,
                                     per_level):
            cx = (torch.arange(w, dtype=torch.float32) + 0.5) * stride
            cy = (torch.arange(h, dtype=torch.float32) + 0.5) * stride
            cy, cx = torch.meshgrid(cy, cx, indexing='ij')
            inside_img = (cx < img_w) & (cy < img_h)
            inside_box = (cx >= x1) & (cx <= x2) & (cy >= y1) & (cy <= y2)
            cand = torch.nonzero((inside_img & ~inside_box).reshape(-1))[:, 0]
            if n == 0 or cand.numel() == 0:
                cells.append(cand[:0])
                continue
            perm = torch.randperm(cand.numel(), generator=generator)[:n]
            cells.append(cand[perm])
        return cells

    def _negatives(self, feats: List[Tensor], box: Tensor,
                   img_shape: Sequence[int]) -> Tensor:
        """Features at cell centres outside the box, from every level.

        Returns a (num_negatives, D) tensor; when fewer cells exist than
        asked for, the missing rows are zeros, which change neither the ridge
        solution nor (after re-normalising by the count) the mean.
        """
        D = feats[0].size(0)
        generator = None
        if not self.training:
            generator = torch.Generator().manual_seed(self.seed)
        cells = self.negative_cells([f.shape[-2:] for f in feats], box,
                                    img_shape, generator)
        rows = [
            feat.reshape(D, -1)[:, idx.to(feat.device)].t()
            for feat, idx in zip(feats, cells) if idx.numel()
        ]
        neg = torch.cat(rows) if rows else feats[0].new_zeros((0, D))
        if self.strategy == 'mean_diff':
            return neg
        pad = self.num_negatives - neg.size(0)
        if pad > 0:
            neg = torch.cat([neg, neg.new_zeros((pad, D))])
        return neg
