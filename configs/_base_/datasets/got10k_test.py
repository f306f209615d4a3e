# GOT-10k test split: only the first box is public, so the metric writes the
# server submission (<seq>/<seq>_001.txt, <seq>_time.txt, presence scores,
# got10k_submission.zip) and computes nothing.
_base_ = './got10k.py'

data_root = 'data/got10k/test/'
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(type='GOT10kMetric', format_only=True)
test_evaluator = val_evaluator
