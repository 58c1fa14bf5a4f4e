"""Temporal connection, server resolution and the embedded Temporal service."""
