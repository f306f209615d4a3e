# DAVIS 2017 val, box-initialised: J & F (Table 5), with the
# paper's temporal heuristic (Sec. 4.2, the "Ours" rows: the model base's
# default). The model is the paper's Mask R-CNN R50-FPN tracker; pass its
# checkpoint to tools/test.py.
_base_ = [
    '../_base_/models/tao_mask-rcnn_r50_fpn.py',
    '../_base_/datasets/davis.py', 'mmdet::_base_/default_runtime.py'
]
default_scope = 'mmtao'
custom_imports = dict(imports=['mmtao'], allow_failed_imports=False)
