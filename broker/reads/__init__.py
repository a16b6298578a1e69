"""What callers read: their requests, grants, approvals and tasks, the activity log and the access-
graph queries.
"""
