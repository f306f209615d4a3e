# DAVIS 2017 val, box-initialised (the first mask's box starts the track):
# J and F mean / recall / decay; masks written as DAVIS palette PNGs under
# <work_dir>/davis/<video>/ (the per-object sequences <video>_<k> of a
# video merged, pixel value k; where masks overlap, the higher presence score
# wins). J & F are computed on those PNGs.
_base_ = './sot_test.py'

dataset_type = 'DAVISDataset'
data_root = 'data/davis/'
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='DAVISMetric', object_from_seq_name=True)
test_evaluator = val_evaluator
