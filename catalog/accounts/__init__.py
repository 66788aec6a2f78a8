"""Accounts: organisations, users, roles and login sessions."""
