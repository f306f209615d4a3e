# LaSOT test set, one-pass evaluation (success AUC, precision @20 px,
# normalised precision @0.2) with MMTracking 1.x semantics: frames where the
# target is fully occluded / out of view count as failures.
_base_ = './sot_test.py'

dataset_type = 'LaSOTDataset'
data_root = 'data/lasot/'
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='SOTMetric', only_eval_visible=True, dataset_type='lasot')
test_evaluator = val_evaluator
