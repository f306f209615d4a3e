# OxUvA dev set (long-term): TPR, TNR, MaxGM at the presence threshold and
# the area under TPR vs FPR over all thresholds (the paper's ablation
# metric); predictions in OxUvA's CSV format under <work_dir>/oxuva/.
_base_ = './sot_test.py'

dataset_type = 'OxUvADataset'
data_root = 'data/oxuva/'
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='OxUvAMetric',
    score_thr=0.5,
    # labels exist once a second: only those frames are assessed
    sparse_annotations=True)
test_evaluator = val_evaluator
