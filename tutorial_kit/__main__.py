import sys

from tutorial_kit.cli import main

sys.exit(main())
