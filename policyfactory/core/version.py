"""The version of policyfactory: one place, read by the package, `--version`, SARIF and the build metadata.

    >>> VERSION.count(".") >= 2
    True
"""

VERSION = "0.1.0"
