# OTB100, one-pass evaluation (success AUC, precision @20 px,
# normalised precision @0.2) with MMTracking 1.x semantics (every frame
# counts, OTB has no absence labels).
_base_ = './sot_test.py'

dataset_type = 'OTB100Dataset'
data_root = 'data/otb100/'
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='SOTMetric', only_eval_visible=False, dataset_type='otb100')
test_evaluator = val_evaluator
