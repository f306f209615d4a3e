# Copyright (c) mmtao contributors. All rights reserved.
import mmcv
import mmdet
import mmengine
from mmengine.utils import digit_version

from .utils.checkpoint import register_checkpoint_safe_globals
from .version import __version__, version_info

# The stack mmtao is tested on (see README "Installation").
mmcv_minimum_version, mmcv_maximum_version = '2.1.0', '2.2.0'
mmdet_minimum_version, mmdet_maximum_version = '3.3.0', '3.4.0'
mmengine_minimum_version, mmengine_maximum_version = '0.10.7', '0.11.0'


def _check(pkg: str, version: str, low: str, high: str) -> None:
    v = digit_version(version)
    assert digit_version(low) <= v < digit_version(high), \
        f'{pkg}=={version} is used but incompatible with mmtao. ' \
        f'Please install {pkg}>={low}, <{high} (tools/install.sh does).'


_check('mmcv', mmcv.__version__, mmcv_minimum_version, mmcv_maximum_version)
_check('mmdet', mmdet.__version__, mmdet_minimum_version,
       mmdet_maximum_version)
_check('mmengine', mmengine.__version__, mmengine_minimum_version,
       mmengine_maximum_version)

# Runner checkpoints load with torch's weights_only safety on.
register_checkpoint_safe_globals()

__all__ = ['__version__', 'version_info']
