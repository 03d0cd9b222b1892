"""Roles (declared as data) and the data scope."""
