# Metadata lives in setup.cfg; this file exists for editable installs and MIM.
from setuptools import setup

if __name__ == '__main__':
    setup()
