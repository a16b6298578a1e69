"""The system's own jobs: expiry, escalation, time-outs, scheduled starts, expiring-soon notices,
recovery after a crash, and the scheduler that runs them.
"""
