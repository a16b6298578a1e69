"""Access flows, forbid rules and bundles: saving them, and what the analyses find in them."""
