"""Task families of the extension; importing this package registers every gym id.

Isaac Lab 3.0 discovers it through the ``isaaclab.tasks`` entry point declared in ``extension.toml``.
"""

from isaaclab_tasks.utils import import_packages

# import every ``config/<robot>/__init__.py`` (they call gym.register); mdp modules are pure functions
import_packages(__name__, ["utils", ".mdp"])
