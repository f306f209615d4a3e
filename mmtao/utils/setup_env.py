# Copyright (c) mmtao contributors. All rights reserved.
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register all modules of mmdet and mmtao into their registries.

    Args:
        init_default_scope (bool): Whether to set the default scope to
            ``'mmtao'`` so that unprefixed ``type`` names are looked up in
            mmtao's registries first, then in mmdet's and mmengine's (see
            :mod:`mmtao.registry`). Defaults to True.
    """
    from mmdet.utils import register_all_modules as register_mmdet
    register_mmdet(init_default_scope=False)

    import mmtao.datasets  # noqa: F401,F403
    import mmtao.engine  # noqa: F401,F403
    import mmtao.evaluation  # noqa: F401,F403
    import mmtao.models  # noqa: F401,F403
    import mmtao.visualization  # noqa: F401,F403

    if not init_default_scope:
        return
    never_created = DefaultScope.get_current_instance() is None \
        or not DefaultScope.check_instance_created('mmtao')
    if never_created:
        DefaultScope.get_instance('mmtao', scope_name='mmtao')
        return
    current_scope = DefaultScope.get_current_instance()
    if current_scope.scope_name != 'mmtao':
        warnings.warn('The current default scope '
                      f'"{current_scope.scope_name}" is not "mmtao", '
                      '`register_all_modules` will force the current'
                      'default scope to be "mmtao". If this is not '
                      'expected, please set `init_default_scope=False`.')
        # avoid name conflict
        new_instance_name = f'mmtao-{datetime.datetime.now()}'
        DefaultScope.get_instance(new_instance_name, scope_name='mmtao')
