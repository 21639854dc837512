import sys

from policyfactory.cli import main

sys.exit(main())
