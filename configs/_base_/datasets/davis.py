# DAVIS 2017 val, box-initialised (the first mask's box starts the track):
# J and F mean / recall / decay; masks written as DAVIS palette PNGs under
# <work_dir>/davis/<video>/ (the per-object sequences <video>_<k> of a
# video merged, pixel value k).
_base_ = './lasot.py'

dataset_type = 'DAVISDataset'
data_root = 'data/davis/'
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True, type='DAVISMetric', object_from_seq_name=True)
test_evaluator = val_evaluator
