"""Grants: writing one (the one path every grant takes), revoking, extending, access details,
manual tasks, and sealing secrets at rest.
"""
