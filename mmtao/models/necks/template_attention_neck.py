# Copyright (c) mmtao contributors. All rights reserved.
from typing import List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmdet.utils import ConfigType, OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor

from mmtao.registry import MODELS


@MODELS.register_module()
class TemplateAttentionNeck(BaseModule):
    """A neck (FPN by default) followed by template attention (Sec. 3.2).

    Without templates (detection mode) the wrapped neck's output is returned
    unchanged. With templates ``T_d`` of shape (K, D), every output level
    ``P_i`` of shape (B, D, H, W) gets a similarity map ``S_i = P_i * T_d``
    (a 1x1 cross-correlation, i.e. the dot product of ``T_d`` with the
    D-dim feature at every location) and is re-weighted
    ``P_i <- P_i . S_i``. K templates on one image give a batch of K
    attended pyramids from a single neck pass.

    Normalisation of ``S_i`` (``normalize``):

    - ``'none'`` (default, the paper): the raw dot product. With the ridge
      template this is already calibrated (about 1 on the object, 0 on the
      negatives), because ``T_d`` was fit to ``A T_d = y``.
    - ``'template'``: ``T_d`` is divided by ``||T_d||^2`` so that a feature
      equal to ``T_d`` gets similarity 1 whatever the template strategy
      (puts ``center`` / ``mean_pos`` templates on the ridge's scale).
    - ``'cosine'``: cosine similarity between ``P_i`` at each location and
      ``T_d``, in [-1, 1].

    The wrapped neck's parameters live under ``neck.``; state dicts of the
    plain neck (e.g. an mmdet Mask R-CNN checkpoint's ``neck.*`` keys) load
    unchanged, see :meth:`_load_from_state_dict`.

    Args:
        neck (dict or ConfigDict): Config of the wrapped neck. ``type``
            defaults to ``'FPN'``.
        normalize (str): ``'none'``, ``'template'`` or ``'cosine'``.
            Defaults to ``'none'``.
        eps (float): Guards the divisions of the normalisations.
            Defaults to 1e-6.
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    normalizations = ('none', 'template', 'cosine')

    def __init__(self,
                 neck: ConfigType,
                 normalize: str = 'none',
                 eps: float = 1e-6,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if normalize not in self.normalizations:
            raise ValueError(f'normalize must be one of '
                             f'{self.normalizations}, got {normalize!r}')
        neck = dict(neck)
        neck.setdefault('type', 'FPN')
        self.neck = MODELS.build(neck)
        self.normalize = normalize
        self.eps = eps

    def forward(self,
                inputs: Tuple[Tensor],
                templates: Optional[Tensor] = None,
                batch_inds: Optional[Tensor] = None) -> Tuple[Tensor]:
        """Run the neck, then attention when templates are given.

        Args:
            inputs (tuple[Tensor]): Backbone features.
            templates (Tensor, optional): Templates of shape (K, D).
            batch_inds (Tensor, optional): Image index of each template,
                see :meth:`attend`.

        Returns:
            tuple[Tensor]: The neck output (B images), or the attended
            pyramids of shape (K, D, H_i, W_i) per level.
        """
        outs = self.neck(inputs)
        if templates is None:
            return outs
        return self.attend(outs, templates, batch_inds)

    def similarity(self,
                   feats: Union[List[Tensor], Tuple[Tensor]],
                   templates: Tensor,
                   batch_inds: Optional[Tensor] = None) -> List[Tensor]:
        """Similarity maps ``S_i`` of every template on every level.

        Args:
            feats (list[Tensor]): Levels of shape (B, D, H_i, W_i).
            templates (Tensor): Templates of shape (K, D).
            batch_inds (Tensor, optional): LongTensor (K, ), the image each
                template is matched against. Defaults to image 0 for all
                templates when B == 1 and to ``arange(K)`` when B == K.

        Returns:
            list[Tensor]: Maps of shape (K, 1, H_i, W_i).
        """
        batch_inds = self._batch_inds(feats[0], templates, batch_inds)
        if self.normalize == 'template':
            templates = templates / templates.pow(2).sum(
                -1, keepdim=True).clamp(min=self.eps)
        elif self.normalize == 'cosine':
            templates = F.normalize(templates, dim=-1, eps=self.eps)
        one_image = feats[0].size(0) == 1
        maps = []
        for feat in feats:
            if feat.size(1) != templates.size(1):
                raise ValueError(
                    f'templates have D={templates.size(1)} but a neck level '
                    f'has {feat.size(1)} channels')
            if one_image:
                # K templates on one image: one (K x D) @ (D x HW) product
                sim = torch.einsum('chw,kc->khw', feat[0], templates)
            else:
                sim = torch.einsum('kchw,kc->khw', feat[batch_inds], templates)
            sim = sim[:, None]
            if self.normalize == 'cosine':
                norm = feat.norm(dim=1, keepdim=True).clamp(min=self.eps)
                sim = sim / (norm if one_image else norm[batch_inds])
            maps.append(sim)
        return maps

    def attend(self,
               feats: Union[List[Tensor], Tuple[Tensor]],
               templates: Tensor,
               batch_inds: Optional[Tensor] = None) -> Tuple[Tensor]:
        """Re-weight every level by its similarity map, ``P_i . S_i``.

        Args:
            feats (list[Tensor]): Levels of shape (B, D, H_i, W_i).
            templates (Tensor): Templates of shape (K, D).
            batch_inds (Tensor, optional): See :meth:`similarity`.

        Returns:
            tuple[Tensor]: Attended levels of shape (K, D, H_i, W_i).
        """
        batch_inds = self._batch_inds(feats[0], templates, batch_inds)
        maps = self.similarity(feats, templates, batch_inds)
        if feats[0].size(0) == 1:
            # broadcasting (1, D, H, W) * (K, 1, H, W) avoids an indexed copy
            return tuple(feat * sim for feat, sim in zip(feats, maps))
        return tuple(feat[batch_inds] * sim for feat, sim in zip(feats, maps))

    @staticmethod
    def _batch_inds(feat: Tensor, templates: Tensor,
                    batch_inds: Optional[Tensor]) -> Tensor:
        if templates.dim() != 2:
            raise ValueError('templates must have shape (K, D), got '
                             f'{tuple(templates.shape)}')
        num_imgs, num_templates = feat.size(0), templates.size(0)
        if batch_inds is None:
            if num_imgs == 1:
                return feat.new_zeros(num_templates, dtype=torch.long)
            if num_imgs == num_templates:
                return torch.arange(num_imgs, device=feat.device)
            raise ValueError(
                f'{num_templates} templates for {num_imgs} images: pass '
                'batch_inds to say which image each template attends')
        batch_inds = torch.as_tensor(batch_inds, device=feat.device).long()
        if batch_inds.shape != (num_templates, ) or (num_templates and int(
                batch_inds.max()) >= num_imgs):
            raise ValueError(f'batch_inds must have shape ({num_templates},) '
                             f'with values < {num_imgs}, got {batch_inds}')
        return batch_inds

    def _load_from_state_dict(self, state_dict: dict, prefix: str,
                              local_metadata: dict, strict: bool,
                              missing_keys: List[str],
                              unexpected_keys: List[str],
                              error_msgs: List[str]) -> None:
        """Accept the plain neck's keys (``neck.lateral_convs...`` in a
        detector) as the wrapped neck's (``neck.neck.lateral_convs...``), so
        that mmdet checkpoints load with every key consumed."""
        wrapped = prefix + 'neck.'
        for key in list(state_dict.keys()):
            if key.startswith(prefix) and not key.startswith(wrapped):
                state_dict[wrapped + key[len(prefix):]] = state_dict.pop(key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata,
                                      strict, missing_keys, unexpected_keys,
                                      error_msgs)
