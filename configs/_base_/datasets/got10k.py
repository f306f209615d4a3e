# GOT-10k val (or any folder in its layout: list.txt, <seq>/00000001.jpg,
# groundtruth.txt, absence.label, cover.label). Metrics: AO, SR0.5, SR0.75
# (official toolkit semantics); the submission folder (<seq>/<seq>_001.txt,
# _time.txt, presence scores) and got10k_submission.zip are written to the
# work_dir.
_base_ = './sot_test.py'

dataset_type = 'GOT10kDataset'
data_root = 'data/got10k/val/'
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='list.txt'))
test_dataloader = val_dataloader

val_evaluator = dict(type='GOT10kMetric')
test_evaluator = val_evaluator
