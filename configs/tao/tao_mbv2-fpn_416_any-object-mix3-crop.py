# mix-crop (tao_mbv2-fpn_416_any-object-mix-crop.py) continued for 3000
# iterations on the same two real worlds, same crops and sampler: a longer
# warm restart than mix2-crop's 1200 (which gained on the real-motion
# tuning split and val_seen but lost one tuning task); steps at 75 / 90 %
# as every fine-tune here. README "Training".
_base_ = './tao_mbv2-fpn_416_any-object-mix-crop.py'

load_from = 'checkpoints/tao_mbv2-fpn_416_any-object-mix-crop_fp16.pth'
max_iters = 3000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[2250, 2700],
        gamma=0.1)
]
