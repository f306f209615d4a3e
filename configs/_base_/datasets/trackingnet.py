# TrackingNet test set: boxes are hidden, so the metric only writes the
# server format (<outfile>/trackingnet/<seq>.txt, x,y,w,h per frame).
_base_ = './sot_test.py'

dataset_type = 'TrackingNetDataset'
data_root = 'data/trackingnet/'
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='SOTMetric',
    only_eval_visible=False,
    dataset_type='trackingnet',
    format_only=True)
test_evaluator = val_evaluator
