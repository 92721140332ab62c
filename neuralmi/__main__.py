import sys

from neuralmi.cli import main

sys.exit(main())
