# VOT2018-LT (LTB35): tracking precision / recall / F at the best
# confidence threshold; results in the VOT toolkit layout (longterm/<seq>/).
_base_ = './sot_test.py'

dataset_type = 'VOTLTDataset'
data_root = 'data/vot2018_lt/'
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(type='VOTLTMetric')
test_evaluator = val_evaluator
