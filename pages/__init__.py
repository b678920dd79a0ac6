"""Screens: each module only defines ``render()``, registered by app.py (DESIGN §7: a page that runs on
import would be a login bypass)."""
