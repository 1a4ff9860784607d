"""``python -m gradclip``: the same as the ``gradclip`` command."""

import sys

from gradclip.cli import main

sys.exit(main())
