"""Skill-level evaluation: plans, applications, assessors, results, apprenticeships."""
