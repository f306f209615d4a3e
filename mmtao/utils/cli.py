# Copyright (c) mmtao contributors. All rights reserved.
"""Shared behaviour of mmtao's command-line tools.

- Expected user errors (a missing file, a bad value, an unwritable folder,
  an unusable frame) print one line ``error: ...`` naming the input and what
  was expected, and exit with status 2; ``--debug`` shows the traceback.
- mmengine's ``pkg_resources is deprecated`` warning (printed three times by
  every run under setuptools < 81, which mmcv's build needs) is silenced.
"""
import sys
import warnings
from typing import Callable, NoReturn, Optional, Sequence

from .run_lock import OutputInUseError
from .video_io import OutputError

#: Exceptions that mean "the input is wrong" (or the disk is full), not
#: "mmtao is broken".
USER_ERRORS = (FileNotFoundError, NotADirectoryError, IsADirectoryError,
               PermissionError, ValueError, OutputError, OutputInUseError)


def silence_known_warnings() -> None:
    """Hide third-party warnings a user cannot act on."""
    warnings.filterwarnings(
        'ignore', message='pkg_resources is deprecated', category=UserWarning)


def user_error(message: str) -> NoReturn:
    """Exit with one line on stderr and status 2."""
    print(f'error: {message}', file=sys.stderr, flush=True)
    sys.exit(2)


def run_cli(main: Callable[[], None],
            argv: Optional[Sequence[str]] = None) -> None:
    """Run ``main`` with one-line errors for :data:`USER_ERRORS`.

    Args:
        main (callable): The tool's ``main()``.
        argv (Sequence[str], optional): Command line to look for
            ``--debug`` in. Defaults to ``sys.argv``.
    """
    argv = sys.argv if argv is None else argv
    if '--debug' in argv:
        main()
        return
    try:
        main()
    except USER_ERRORS as e:
        user_error(f'{e} (run with --debug for the traceback)')
