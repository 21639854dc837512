import sys

from policyfactory.core.cli import main

sys.exit(main())
