# Copyright (c) mmtao contributors. All rights reserved.
from typing import Sequence

from mmdet.models.data_preprocessors import DetDataPreprocessor
from mmdet.structures import DetDataSample

from mmtao.registry import MODELS


@MODELS.register_module()
class JointDataPreprocessor(DetDataPreprocessor):
    """Data preprocessor of mixed detection + tracking-pair batches.

    In training, a batch may mix detection samples (``inputs[i]`` of shape
    (3, H, W)) and tracking pairs (``inputs[i]`` of shape (2, 3, H, W):
    template frame, search frame; see ``docs/en/data_contract.md`` §4). Each
    group is normalised and padded by ``DetDataPreprocessor`` on its own and
    the result is::

        dict(inputs=dict(det=Tensor[Nd, 3, H, W] or None,
                         template=Tensor[Nt, 3, H, W] or None,
                         search=Tensor[Nt, 3, H, W] or None),
             data_samples=dict(det=[...], track=[...]))

    Template and search frames of a pair have the same size, so both groups
    pad to the same shape and ``template_bbox`` stays valid. At test time it
    is exactly ``DetDataPreprocessor``.

    Args:
        All arguments of ``DetDataPreprocessor``.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        """Normalise, pad and split a batch.

        Args:
            data (dict): ``inputs`` (list of Tensors) and ``data_samples``
                from the dataloader.
            training (bool): Whether in training.

        Returns:
            dict: See the class docstring; ``DetDataPreprocessor``'s output
            when not training.
        """
        if not training:
            return super().forward(data, training)
        inputs, data_samples = data['inputs'], data.get('data_samples')
        if not isinstance(inputs, Sequence) or not inputs:
            raise ValueError('JointDataPreprocessor expects a non-empty list '
                             'of image tensors in training, got '
                             f'{type(inputs).__name__}')
        if data_samples is None or len(data_samples) != len(inputs):
            raise ValueError('JointDataPreprocessor needs one data sample per '
                             'input in training')
        det_inds, pair_inds = [], []
        for i, img in enumerate(inputs):
            if img.dim() == 3:
                det_inds.append(i)
            elif img.dim() == 4 and img.size(0) == 2:
                pair_inds.append(i)
            else:
                raise ValueError(
                    f'inputs[{i}] has shape {tuple(img.shape)}; expected '
                    '(3, H, W) for a detection sample or (2, 3, H, W) for a '
                    '(template, search) tracking pair')
        out_inputs = dict(det=None, template=None, search=None)
        out_samples = dict(det=[], track=[])
        if det_inds:
            det = super().forward(
                dict(
                    inputs=[inputs[i] for i in det_inds],
                    data_samples=[data_samples[i] for i in det_inds]),
                training)
            out_inputs['det'] = det['inputs']
            out_samples['det'] = det['data_samples']
        if pair_inds:
            search = super().forward(
                dict(
                    inputs=[inputs[i][1] for i in pair_inds],
                    data_samples=[data_samples[i] for i in pair_inds]),
                training)
            # the search samples already hold the (shared) pad metainfo
            template = super().forward(
                dict(
                    inputs=[inputs[i][0] for i in pair_inds],
                    data_samples=None), training)
            out_inputs['template'] = template['inputs']
            out_inputs['search'] = search['inputs']
            out_samples['track'] = search['data_samples']
        return dict(inputs=out_inputs, data_samples=out_samples)

    def pad_gt_masks(self,
                     batch_data_samples: Sequence[DetDataSample]) -> None:
        """Pad the gt masks of every sample that has them (tracking pairs
        from box-only datasets have none)."""
        for data_sample in batch_data_samples:
            if 'masks' in data_sample.gt_instances:
                data_sample.gt_instances.masks = \
                    data_sample.gt_instances.masks.pad(
                        data_sample.batch_input_shape,
                        pad_val=self.mask_pad_value)
