import sys

from yascheduler.cli import main

sys.exit(main())
