# Iteration-based SGD schedule for joint detection + tracking training.
# The paper gives no schedule for its GPU fine-tuning; this is mmdet's
# Mask R-CNN recipe (SGD 0.02 @ 16 images, momentum 0.9, weight decay 1e-4,
# linear warm-up, steps at 2/3 and 8/9 of training) counted in iterations,
# because the mixed sampler is infinite and "epoch" has no meaning for it.
# Configs that change max_iters override train_cfg and param_scheduler.
# Iteration-based hooks (CheckpointHook by_epoch=False, LogProcessor
# by_epoch=False) are set by the configs, beside mmdet's default_runtime,
# which owns default_hooks and log_processor; val_cfg / test_cfg (loops)
# come with the dataset bases (configs/_base_/datasets/*.py).
max_iters = 90000
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=10000)

param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
        end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[60000, 80000],
        gamma=0.1)
]

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001),
    # the ridge solve can give large gradients early in training
    clip_grad=dict(max_norm=35, norm_type=2))

# 8 GPUs x 2 samples
auto_scale_lr = dict(enable=False, base_batch_size=16)

# a mixed batch may hold only detection images or only tracking pairs (and
# VID pairs have no masks), leaving some final layers without gradient in an
# iteration: DDP must allow that (every training config uses this schedule)
find_unused_parameters = True
