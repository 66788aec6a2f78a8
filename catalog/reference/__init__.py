"""Reference data: industries, occupations (工种) and the national skill levels."""
