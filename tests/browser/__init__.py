"""Helpers to drive Debian's Chromium with Playwright in the map tests."""
