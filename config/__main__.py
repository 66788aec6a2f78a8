"""``python -m config``: prints README's configuration table from the settings' declarations."""

from config import configuration_table

print(configuration_table())
