"""Learning history: statements, honest video progress, completions."""
