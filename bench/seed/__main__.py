"""`python -m bench.seed --scale 1`: see `bench.seed.orchestration.main`."""

import sys

from bench.seed.orchestration import main

sys.exit(main())
