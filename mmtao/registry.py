# Copyright (c) mmtao contributors. All rights reserved.
"""mmtao provides 20 registry nodes, one per mmengine root registry.

Each node is a child of **MMDetection's** node of the same name (which is in
turn a child of MMEngine's root). This is a deliberate choice over making them
direct children of MMEngine's roots (as mmyolo does): mmtao configs inherit
mmdet's configs (``_base_ = 'mmdet::mask_rcnn/...'``) whose ``type`` fields
carry no scope prefix. With ``default_scope = 'mmtao'`` a lookup of e.g.
``'MaskRCNN'`` or ``'CocoDataset'`` first searches mmtao's node, then walks up
to mmdet's and MMEngine's, so those configs work unchanged and mmtao's own
components shadow nothing by accident.

MMEngine only lazily imports the ``locations`` of the node a lookup *starts*
from, not of its parents, so every node lists mmdet's locations next to
mmtao's: that is what fills mmdet's parent nodes before a lookup walks up.
More on the registry tree: https://mmengine.readthedocs.io/en/latest/advanced_tutorials/registry.html
"""
from mmdet.registry import DATA_SAMPLERS as MMDET_DATA_SAMPLERS
from mmdet.registry import DATASETS as MMDET_DATASETS
from mmdet.registry import EVALUATOR as MMDET_EVALUATOR
from mmdet.registry import HOOKS as MMDET_HOOKS
from mmdet.registry import LOG_PROCESSORS as MMDET_LOG_PROCESSORS
from mmdet.registry import LOOPS as MMDET_LOOPS
from mmdet.registry import METRICS as MMDET_METRICS
from mmdet.registry import MODEL_WRAPPERS as MMDET_MODEL_WRAPPERS
from mmdet.registry import MODELS as MMDET_MODELS
from mmdet.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMDET_OPTIM_WRAPPER_CONSTRUCTORS
from mmdet.registry import OPTIM_WRAPPERS as MMDET_OPTIM_WRAPPERS
from mmdet.registry import OPTIMIZERS as MMDET_OPTIMIZERS
from mmdet.registry import PARAM_SCHEDULERS as MMDET_PARAM_SCHEDULERS
from mmdet.registry import RUNNER_CONSTRUCTORS as MMDET_RUNNER_CONSTRUCTORS
from mmdet.registry import RUNNERS as MMDET_RUNNERS
from mmdet.registry import TASK_UTILS as MMDET_TASK_UTILS
from mmdet.registry import TRANSFORMS as MMDET_TRANSFORMS
from mmdet.registry import VISBACKENDS as MMDET_VISBACKENDS
from mmdet.registry import VISUALIZERS as MMDET_VISUALIZERS
from mmdet.registry import WEIGHT_INITIALIZERS as MMDET_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

_ENGINE = ['mmdet.engine', 'mmtao.engine']
_MODELS = ['mmdet.models', 'mmtao.models']
_DATASETS = ['mmdet.datasets', 'mmtao.datasets']
_EVALUATION = ['mmdet.evaluation', 'mmtao.evaluation']
_VISUALIZATION = ['mmdet.visualization', 'mmtao.visualization']

# manage all kinds of runners like `EpochBasedRunner` and `IterBasedRunner`
RUNNERS = Registry('runner', parent=MMDET_RUNNERS, locations=_ENGINE)
# manage runner constructors that define how to initialize runners
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor',
    parent=MMDET_RUNNER_CONSTRUCTORS,
    locations=_ENGINE)
# manage all kinds of loops like `EpochBasedTrainLoop`
LOOPS = Registry('loop', parent=MMDET_LOOPS, locations=_ENGINE)
# manage all kinds of hooks like `CheckpointHook`
HOOKS = Registry('hook', parent=MMDET_HOOKS, locations=_ENGINE)

# manage data-related modules
DATASETS = Registry('dataset', parent=MMDET_DATASETS, locations=_DATASETS)
DATA_SAMPLERS = Registry(
    'data sampler', parent=MMDET_DATA_SAMPLERS, locations=_DATASETS)
TRANSFORMS = Registry(
    'transform', parent=MMDET_TRANSFORMS, locations=_DATASETS)

# manage all kinds of modules inheriting `nn.Module`
MODELS = Registry('model', parent=MMDET_MODELS, locations=_MODELS)
# manage all kinds of model wrappers like 'MMDistributedDataParallel'
MODEL_WRAPPERS = Registry(
    'model_wrapper', parent=MMDET_MODEL_WRAPPERS, locations=_MODELS)
# manage all kinds of weight initialization modules like `Uniform`
WEIGHT_INITIALIZERS = Registry(
    'weight initializer',
    parent=MMDET_WEIGHT_INITIALIZERS,
    locations=_MODELS)

# manage all kinds of optimizers like `SGD` and `Adam`
OPTIMIZERS = Registry(
    'optimizer', parent=MMDET_OPTIMIZERS, locations=_ENGINE)
# manage optimizer wrapper
OPTIM_WRAPPERS = Registry(
    'optim_wrapper', parent=MMDET_OPTIM_WRAPPERS, locations=_ENGINE)
# manage constructors that customize the optimization hyperparameters.
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMDET_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=_ENGINE)
# manage all kinds of parameter schedulers like `MultiStepLR`
PARAM_SCHEDULERS = Registry(
    'parameter scheduler',
    parent=MMDET_PARAM_SCHEDULERS,
    locations=_ENGINE)

# manage all kinds of metrics
METRICS = Registry('metric', parent=MMDET_METRICS, locations=_EVALUATION)
# manage evaluator
EVALUATOR = Registry(
    'evaluator', parent=MMDET_EVALUATOR, locations=_EVALUATION)

# manage task-specific modules like anchor generators and box coders
TASK_UTILS = Registry('task util', parent=MMDET_TASK_UTILS, locations=_MODELS)

# manage visualizer
VISUALIZERS = Registry(
    'visualizer', parent=MMDET_VISUALIZERS, locations=_VISUALIZATION)
# manage visualizer backend
VISBACKENDS = Registry(
    'vis_backend', parent=MMDET_VISBACKENDS, locations=_VISUALIZATION)

# manage logprocessor
LOG_PROCESSORS = Registry(
    'log_processor', parent=MMDET_LOG_PROCESSORS, locations=_ENGINE)
