import sys

from clausier.cli import main

sys.exit(main())
