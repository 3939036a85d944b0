"""Allow `python -m genesys_nb`."""
import sys

from genesys_nb.cli import main

sys.exit(main())
