# Copyright (c) mmtao contributors. All rights reserved.
import copy
from typing import List, Optional, Sequence

import torch
from torch import Tensor

from mmtao.registry import MODELS
# the trackers sample template rows exactly as the head does
from ..heads.ridge_template_head import sample_points  # noqa: F401


def weighted_ridge(rows: Tensor, weights: Tensor, targets: Tensor,
                   is_pos: Tensor, reg: float = 0.1,
                   reg_mode: str = 'relative') -> Tensor:
    """Weighted ridge templates of K objects in one batched solve.

    Minimises ``sum_r w_r (a_r . T - y_r)^2 + lambda ||T||^2`` per object,
    i.e. ``T = (A^T W A + lambda I)^-1 A^T W y`` (Eq. 1-3 of the paper with
    a weight per row; all weights 1 is the paper's solve). Rows of weight 0
    (padding) change nothing. ``reg_mode='relative'`` uses ``lambda = reg *``
    the weighted mean ``||a||^2`` of the positive rows, floored as
    :meth:`RidgeTemplateHead.solve` does, so the template of one positive and
    its negatives equals the head's. Solved in float64 (a D x D Cholesky per
    object), returned in the rows' dtype.

    Args:
        rows (Tensor): (K, R, D) feature rows.
        weights (Tensor): (K, R) non-negative row weights.
        targets (Tensor): (K, R) regression targets (1 positive, 0 negative).
        is_pos (Tensor): (K, R) bool, the rows lambda is scaled by.
        reg (float): Ridge regulariser. Defaults to 0.1.
        reg_mode (str): ``'relative'`` or ``'absolute'``.

    Returns:
        Tensor: (K, D) templates.
    """
    dtype = rows.dtype
    A = rows.double()
    w = weights.double()
    y = targets.double()
    dim = A.size(-1)
    if reg_mode == 'relative':
        sq = A.pow(2).sum(-1)
        pw = w * is_pos.double()
        lam = reg * (pw * sq).sum(-1) / pw.sum(-1).clamp(min=1e-12)
        floor = 1e-4 * reg * (sq * (w > 0).double()).amax(-1)
        lam = torch.maximum(lam, floor).clamp(
            min=torch.finfo(torch.float64).tiny**0.5)
    else:
        lam = A.new_full(A.shape[:1], reg)
    Aw = A * w[..., None]
    M = Aw.transpose(1, 2) @ A
    M = M + lam[:, None, None] * torch.eye(dim, dtype=A.dtype,
                                           device=A.device)
    b = Aw.transpose(1, 2) @ y[..., None]
    L, info = torch.linalg.cholesky_ex(M)
    if bool((info == 0).all()):
        T = torch.cholesky_solve(b, L)
    else:
        T = torch.linalg.solve(M, b)
    return T[..., 0].to(dtype)


class _Entry:
    """Rows added to one object's memory at once (one frame, one kind)."""

    __slots__ = ('rows', 'weight', 'frame', 'permanent')

    def __init__(self, rows: Tensor, weight: float, frame: int,
                 permanent: bool) -> None:
        self.rows = rows
        self.weight = float(weight)
        self.frame = int(frame)
        self.permanent = bool(permanent)


@MODELS.register_module()
class TemplateMemory:
    """A bounded memory of positive and negative rows per object, and the
    ridge template solved on it in closed form (batched over objects).

    Per object: *permanent* entries (the first frame's positives and
    background negatives, user corrections) are never evicted nor decayed;
    *updates* (positives under confident tracked masks, hard negatives at
    distractors) are kept in FIFO order up to ``max_pos_updates`` /
    ``max_neg_updates`` entries, each weighted ``update_weight`` (resp.
    ``hard_neg_weight``) times ``decay ** age`` (age in frames). A positive
    entry's weight is shared by its rows; each negative row has its entry's
    weight (the paper's solve for one positive and its negatives).

    Args:
        reg (float): Ridge regulariser (the template head's). Defaults to 0.1.
        reg_mode (str): ``'relative'`` or ``'absolute'``.
        max_pos_updates (int): Tracked frames whose positives are kept.
        max_neg_updates (int): Hard-negative entries kept.
        update_weight (float): Weight of a tracked frame's positive rows,
            relative to the first frame's (1). Defaults to 0.5.
        hard_neg_weight (float): Weight of a hard negative's rows.
            Defaults to 1.
        decay (float): Per-frame forgetting factor of updates, in (0, 1].
            Defaults to 1 (no forgetting).
        max_corrections (int): Corrections kept per object (oldest
            forgotten first). Defaults to 8.
    """

    def __init__(self,
                 reg: float = 0.1,
                 reg_mode: str = 'relative',
                 max_pos_updates: int = 4,
                 max_neg_updates: int = 8,
                 update_weight: float = 0.5,
                 hard_neg_weight: float = 1.0,
                 decay: float = 1.0,
                 max_corrections: int = 8) -> None:
        if reg <= 0:
            raise ValueError(f'TemplateMemory: reg must be > 0, got {reg}')
        if reg_mode not in ('relative', 'absolute'):
            raise ValueError("TemplateMemory: reg_mode must be 'relative' or "
                             f"'absolute', got {reg_mode!r}")
        if not 0 < decay <= 1:
            raise ValueError(f'TemplateMemory: decay must be in (0, 1], got '
                             f'{decay}')
        if min(max_pos_updates, max_neg_updates, max_corrections) < 0:
            raise ValueError('TemplateMemory: memory sizes must be >= 0')
        self.reg = reg
        self.reg_mode = reg_mode
        self.max_pos_updates = int(max_pos_updates)
        self.max_neg_updates = int(max_neg_updates)
        self.update_weight = float(update_weight)
        self.hard_neg_weight = float(hard_neg_weight)
        self.decay = float(decay)
        self.max_corrections = int(max_corrections)
        self.objects: List[dict] = []

    def __len__(self) -> int:
        return len(self.objects)

    def add_object(self, positives: Tensor, negatives: Tensor,
                   frame: int = 0) -> int:
        """Start an object's memory from its first frame.

        Args:
            positives (Tensor): (P, D) rows, target 1.
            negatives (Tensor): (Q, D) rows, target 0 (all-zero rows, the
                head's padding, are dropped: they change nothing).

        Returns:
            int: The object's index.
        """
        negatives = negatives[negatives.abs().sum(-1) > 0]
        self.objects.append(
            dict(
                pos=[_Entry(positives.detach(), 1., frame, True)],
                neg=[_Entry(negatives.detach(), 1., frame, True)],
                pos_updates=[],
                neg_updates=[],
                corrections=[]))
        return len(self.objects) - 1

    def add_positives(self, k: int, rows: Tensor, frame: int) -> None:
        """Positives of a confident tracked frame (FIFO, bounded)."""
        if self.max_pos_updates == 0 or len(rows) == 0:
            return
        ups = self.objects[k]['pos_updates']
        ups.append(_Entry(rows.detach(), self.update_weight, frame, False))
        del ups[:-self.max_pos_updates]

    def add_negatives(self, k: int, rows: Tensor, frame: int) -> None:
        """Hard negatives (distractors) of a frame (FIFO, bounded)."""
        if self.max_neg_updates == 0 or len(rows) == 0:
            return
        ups = self.objects[k]['neg_updates']
        ups.append(_Entry(rows.detach(), self.hard_neg_weight, frame, False))
        del ups[:-self.max_neg_updates]

    def add_correction(self, k: int, positives: Tensor,
                       negatives: Optional[Tensor], frame: int) -> None:
        """A user's box (positives) and the wrong box (negatives), weight 1,
        never decayed; the oldest beyond ``max_corrections`` is forgotten."""
        corr = self.objects[k]['corrections']
        neg = negatives if negatives is not None and len(negatives) else None
        corr.append((_Entry(positives.detach(), 1., frame, True),
                     None if neg is None else _Entry(neg.detach(), 1., frame,
                                                     True)))
        del corr[:-max(self.max_corrections, 1)]

    def entries(self, k: int, frame: int) -> List[tuple]:
        """(rows, weight, target) of object ``k`` at ``frame``."""
        obj = self.objects[k]
        # a positive entry's weight is shared by its rows (one frame's
        # view of the object counts once however many points describe it);
        # every negative row has the entry's weight (the paper's solve)
        out = [(e.rows, e.weight / len(e.rows), 1.) for e in obj['pos']]
        out += [(e.rows, e.weight, 0.) for e in obj['neg']]
        for e in obj['pos_updates']:
            out.append((e.rows, e.weight * self.decay**(frame - e.frame) /
                        len(e.rows), 1.))
        for e in obj['neg_updates']:
            out.append((e.rows, e.weight * self.decay**(frame - e.frame), 0.))
        for pos, neg in obj['corrections']:
            out.append((pos.rows, pos.weight / len(pos.rows), 1.))
            if neg is not None:
                out.append((neg.rows, neg.weight, 0.))
        return out

    def stacked(self, inds: Sequence[int], frame: int) -> tuple:
        """The memories of objects ``inds`` as padded tensors.

        Returns:
            tuple[Tensor]: rows (n, R, D), weights (n, R), targets (n, R),
            is_pos (n, R) bool; padding rows have weight 0.
        """
        per_obj = []
        for k in inds:
            ents = self.entries(k, frame)
            rows = torch.cat([r for r, _, _ in ents])
            w = torch.cat([r.new_full((len(r), ), wt) for r, wt, _ in ents])
            y = torch.cat([r.new_full((len(r), ), t) for r, _, t in ents])
            per_obj.append((rows, w, y))
        num = max(len(r) for r, _, _ in per_obj)
        dim = per_obj[0][0].size(1)
        ref = per_obj[0][0]
        rows = ref.new_zeros((len(inds), num, dim))
        weights = ref.new_zeros((len(inds), num))
        targets = ref.new_zeros((len(inds), num))
        for i, (r, w, y) in enumerate(per_obj):
            rows[i, :len(r)] = r
            weights[i, :len(r)] = w
            targets[i, :len(r)] = y
        return rows, weights, targets, targets > 0.5

    def solve(self, inds: Optional[Sequence[int]] = None,
              frame: int = 0) -> Tensor:
        """Templates of objects ``inds`` (default all), one batched solve.

        Returns:
            Tensor: (n, D).
        """
        inds = list(range(len(self.objects))) if inds is None else list(inds)
        rows, weights, targets, is_pos = self.stacked(inds, frame)
        return weighted_ridge(rows, weights, targets, is_pos, self.reg,
                              self.reg_mode)

    def clone(self) -> 'TemplateMemory':
        """A deep copy (the tensors copied, detached)."""
        return copy.deepcopy(self)
