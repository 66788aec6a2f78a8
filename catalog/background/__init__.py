"""Background work: the huey queue, tracked task records and housekeeping tasks."""
