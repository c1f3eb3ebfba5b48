import sys

from yascheduler.app.cli import main

sys.exit(main())
