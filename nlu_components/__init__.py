"""Custom Rasa NLU components (run in the Rasa environment, Python 3.10).

They import only the stdlib-only helpers of `bot/` (`bot.arabic`, `bot.digits`,
`bot.languages`), never the service's libraries, so the repository root on PYTHONPATH is all
Rasa needs. Importing the package also installs the runtime fixes of speedups.py (documented
there).
"""

from nlu_components import speedups

speedups.install()
