"""Question banks (题库): versioned questions, editor workflow, imports, offline snapshots."""
