"""Custom Rasa NLU components (run in the Rasa environment, Python 3.10).

They import only the stdlib-only helpers of `bot/` (`bot.arabic`, `bot.digits`,
`bot.languages`), never the service's libraries, so the repository root on PYTHONPATH is all
Rasa needs. Importing the package in the Rasa process also installs the runtime fixes of
speedups.py and the handling of turns sent twice (resent_turns.py), both documented there; the
service's environment, which has no Rasa, imports only lookups.py.
"""

from importlib.util import find_spec

from nlu_components import speedups

speedups.install()
if find_spec("rasa") is not None:
    from nlu_components import resent_turns

    resent_turns.install()
