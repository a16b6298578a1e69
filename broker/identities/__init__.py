"""People and their credentials: API tokens, roles, disabling (with its cascade) and the directory
sync.
"""
