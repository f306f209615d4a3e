# OxUvA dev set (long-term): TPR, TNR, MaxGM at the presence threshold and
# the area under TPR vs FPR over all thresholds (the paper's ablation
# metric), on the 1 Hz labels; predictions in the toolkit's CSV format under
# <work_dir>/oxuva/<video>_<object>.csv (frames init_frame+1 ... last_frame by
# absolute number, presence true/false). The test split (no labels: CSVs
# only): --cfg-options test_dataloader.dataset.split=test
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
