# Copyright (c) mmtao contributors. All rights reserved.
from .formatting import PackSOTInputs
from .motion_blur import RandomMotionBlur
from .pair_formatting import PackSOTPairInputs
from .pair_loading import LoadPairAnnotations
from .pair_sampling import ImagePairSampling, SOTPairSampling
from .pair_transforms import PairTransforms
from .search_crop import SearchCrop

__all__ = [
    'PackSOTInputs', 'PackSOTPairInputs', 'LoadPairAnnotations',
    'ImagePairSampling', 'SOTPairSampling', 'PairTransforms', 'SearchCrop',
    'RandomMotionBlur'
]
