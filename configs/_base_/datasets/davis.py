# DAVIS 2017 val, box-initialised (the first mask's box starts the track):
# J and F mean / recall / decay; masks written as DAVIS palette PNGs under
# <work_dir>/davis/<seq>/.
_base_ = './lasot.py'

dataset_type = 'DAVISDataset'
data_root = 'data/davis/'
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='DAVISMetric')
test_evaluator = val_evaluator
