"""Standardised courses (标准化课程): working copies, chapters, releases, enrolment."""
