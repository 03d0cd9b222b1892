"""Roles, data scope and the security manager."""
