"""Just-in-time privileged access: asked for in Slack, approved, granted for a while, revoked for sure."""
