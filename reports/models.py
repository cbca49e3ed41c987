"""Placeholder app: built in a later issue."""
