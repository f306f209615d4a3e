# The tiny tracker on a folder in OxUvA's official layout (end-to-end test of
# tools/test.py with the OxUvA dataset and metric). Pass the folder with
# --cfg-options test_dataloader.dataset.data_root=DIR
_base_ = [
    './tiny_tao.py', '../../../configs/_base_/datasets/oxuva.py',
    'mmdet::_base_/default_runtime.py'
]
default_scope = 'mmtao'
custom_imports = dict(imports=['mmtao'], allow_failed_imports=False)

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(96, 64), keep_ratio=True),
    dict(type='PackSOTInputs')
]
test_dataloader = dict(
    num_workers=0, dataset=dict(data_root='', pipeline=test_pipeline))
val_dataloader = test_dataloader
