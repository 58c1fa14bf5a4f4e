import sys

from wfb_jupyter.cli import main

sys.exit(main())
