"""Composition root: configuration, the aiohttp app, the Teams adapter, CLI."""
