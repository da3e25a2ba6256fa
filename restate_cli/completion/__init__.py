"""Shell completion: scripts generated from the command tree, and live values for them.

Nothing is imported here: ``restate-cli __complete`` loads ``completion.dynamic`` alone.
"""

SHELLS = ("bash", "zsh", "fish")
