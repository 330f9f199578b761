import sys

from altus.cli.main import main

sys.exit(main())
